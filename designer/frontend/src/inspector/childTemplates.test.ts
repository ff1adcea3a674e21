import { describe, expect, it } from 'vitest'
import type { TemplateInfo } from '../api/types'
import { isDynamic, matchTemplates } from './childTemplates'

const template = (name: string, title: string, description = '', tags: string[] = []): TemplateInfo => ({
  name, title, description, tags, example_input: {}, owner: null, latest_version: 1, has_draft: false, instance_count: 0,
})
const TEMPLATES = [
  template('invoice-check', 'Invoice check', 'Matches an invoice to its order.', ['finance']),
  template('resize-image', 'Resize image', 'Scales a picture to the gallery sizes.'),
  template('send-report', 'Send report', 'E-mails the weekly figures.', ['reports']),
]
const names = (ts: TemplateInfo[]) => ts.map((t) => t.name)

describe('matchTemplates', () => {
  it('lists every template for an empty search, without the excluded ones', () => {
    expect(names(matchTemplates(TEMPLATES, ' '))).toEqual(['invoice-check', 'resize-image', 'send-report'])
    expect(names(matchTemplates(TEMPLATES, '', new Set(['resize-image'])))).toEqual(['invoice-check', 'send-report'])
  })
  it('finds templates by name or title first, then by description or tag', () => {
    expect(names(matchTemplates(TEMPLATES, 'RESIZE'))).toEqual(['resize-image'])
    expect(names(matchTemplates(TEMPLATES, 'report'))).toEqual(['send-report'])
    expect(names(matchTemplates(TEMPLATES, 'order'))).toEqual(['invoice-check'])
    expect(names(matchTemplates(TEMPLATES, 'finance'))).toEqual(['invoice-check'])
    expect(names(matchTemplates(TEMPLATES, 'image'))).toEqual(['resize-image'])
    expect(names(matchTemplates(TEMPLATES, 'e'))).toEqual(['invoice-check', 'resize-image', 'send-report'])
  })
  it('needs every word to match', () => {
    expect(names(matchTemplates(TEMPLATES, 'weekly figures'))).toEqual(['send-report'])
    expect(names(matchTemplates(TEMPLATES, 'weekly zebra'))).toEqual([])
  })
})

describe('isDynamic', () => {
  it('tells a name from an expression choosing one', () => {
    expect(isDynamic('resize-image')).toBe(false)
    expect(isDynamic('{{ input.kind }}')).toBe(true)
    expect(isDynamic(undefined)).toBe(false)
  })
})
