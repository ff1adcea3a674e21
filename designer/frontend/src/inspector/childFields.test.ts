/** The inspector's child workflow fields and choices, rendered to HTML (what the analyst sees first). */
import { createElement } from 'react'
import { renderToStaticMarkup } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import type { ApiFieldError, VersionInfo } from '../api/types'
import { TYPES } from '../graph/fixtures'
import type { Config } from '../graph/types'
import { choicesOf } from '../schema/choices'
import { VersionField } from './VersionPicker'
import { ChoiceField } from './ChoiceField'
import { SchemaField, type FieldContext } from './fields'

const context = (root: Config, errors: ApiFieldError[] = []): FieldContext => ({
  base: 'config',
  root,
  errors,
  handlers: [{ name: 'demo.noop', description: 'Does nothing.' }],
  disabled: false,
  onChange: () => undefined,
  onChangeMany: () => undefined,
})

function field(type: string, key: string, root: Config): string {
  const schema = TYPES[type].schema
  return renderToStaticMarkup(createElement(SchemaField, { ctx: context(root), path: [key], schema: schema.properties![key], parent: schema }))
}

function choice(type: string, root: Config, errors: ApiFieldError[] = []): string {
  const schema = TYPES[type].schema
  return renderToStaticMarkup(createElement(ChoiceField, { ctx: context(root, errors), choice: choicesOf(schema)[0], schema }))
}

describe('the Workflow field', () => {
  it('is a combobox of templates showing the chosen name', () => {
    const html = field('subworkflow', 'workflow', { workflow: 'resize-image' })
    expect(html).toContain('role="combobox"')
    expect(html).toContain('value="resize-image"')
    expect(html).not.toContain('hint-config.workflow')
  })
  it('asks for Allowed workflows when an expression chooses the workflow, until the list has names', () => {
    const bare = field('subworkflow', 'workflow', { workflow: '{{ input.kind }}' })
    expect(bare).toContain('data-testid="hint-config.workflow"')
    expect(bare).toContain('class="fd-hint warn"')
    expect(bare).toContain('<b>Allowed workflows</b> (required)')
    const listed = field('subworkflow', 'workflow', { workflow: '{{ input.kind }}', allowed_workflows: ['a'] })
    expect(listed).toContain('class="fd-hint "')
  })
})

describe('the Version field', () => {
  const published = (number: number): VersionInfo => ({ number, status: 'published', checksum: '', change_note: '', created_at: '', published_at: null, published_by: null })
  // the versions as loaded (a render on the server reads the store's first state, not what is set later)
  const versionField = (config: Config, numbers: number[]) =>
    renderToStaticMarkup(
      createElement(VersionField, { id: 'v', testid: 'config.version', value: config.version, workflow: config.workflow, disabled: false, onChange: () => undefined, loaded: { status: 'loaded', list: numbers.map(published), message: null } }),
    )

  it('is a combobox, disabled with a hint until a workflow is chosen', () => {
    const html = field('subworkflow', 'version', {})
    expect(html).toMatch(/<input[^>]*role="combobox"[^>]*disabled=""/)
    expect(html).toContain('placeholder="Choose a workflow first"')
    expect(html).toContain('Choose the Workflow first: its published versions are listed here.')
    expect(html).toMatch(/aria-describedby="([^"]+)"[\s\S]*id="\1"[^>]*data-testid="pin-hint-config.version"/)
  })
  it('says Latest published while nothing is pinned, and the pinned version otherwise', () => {
    const latest = field('map', 'version', { items: 'input.rows', workflow: 'resize-image' })
    expect(latest).toContain('value="Latest published"')
    expect(latest).not.toContain('disabled=""')
    expect(latest).toContain('Starts the newest published version of resize-image each time')
    const pinned = field('loop', 'version', { workflow: 'resize-image', version: 2, count: 1 })
    expect(pinned).toContain('value="v2"')
    expect(pinned).toContain('Always starts v2 of resize-image')
    expect(versionField({ workflow: 'resize-image', version: 2 }, [2, 1])).not.toContain('aria-invalid')
  })
  it('says so, not silently, when the template has no such published version', () => {
    const html = versionField({ workflow: 'resize-image', version: 7 }, [2, 1])
    expect(html).toContain('aria-invalid="true"')
    expect(html).toContain('resize-image has no published version 7 (published: v2, v1): choose one, or Latest published.')
    expect(html).not.toContain('Always starts v7')
    expect(html).toMatch(/aria-describedby="([^"]+)"[\s\S]*id="\1"[^>]*data-testid="pin-problem-config.version"/)
  })
  it('lists no versions when an expression chooses the workflow, and offers to drop a pin it still has', () => {
    const html = field('subworkflow', 'version', { workflow: '{{ input.kind }}', allowed_workflows: ['a'], version: 3 })
    expect(html).toMatch(/<input[^>]*disabled=""/)
    expect(html).toContain('This step still pins v3, whichever workflow is chosen.')
    expect(html).toContain('data-testid="pin-clear-config.version"')
  })
})

describe('the Allowed workflows field', () => {
  it('is left out while Workflow is a plain name and the list is empty', () => {
    expect(field('loop', 'allowed_workflows', { workflow: 'send-report' })).toBe('')
    expect(field('loop', 'allowed_workflows', {})).toBe('')
  })
  it('lists its names, each removable, with a picker to add another, once an expression needs it', () => {
    const html = field('loop', 'allowed_workflows', { workflow: '{{ input.kind }}', allowed_workflows: ['resize-image', 'send-report'] })
    expect(html).toContain('data-testid="field-config.allowed_workflows.0"')
    expect(html).toContain('<code>resize-image</code>')
    expect(html).toContain('aria-label="Remove send-report"')
    expect(html).toContain('data-testid="field-config.allowed_workflows.add"')
    expect(html).toContain('placeholder="Add a workflow…"')
    expect(field('loop', 'allowed_workflows', { workflow: '{{ input.kind }}' })).toContain('Add a workflow…')
  })
  it('stays visible while it holds names, so they can be removed', () => {
    expect(field('loop', 'allowed_workflows', { workflow: 'send-report', allowed_workflows: ['a'] })).toContain('<code>a</code>')
  })
})

describe('a choice between options', () => {
  it("shows a new map's first option, Handler, pressed, and only its field", () => {
    const html = choice('map', { items: 'input.rows' })
    expect(html).toMatch(/aria-pressed="true"[^>]*data-testid="choice-handler"/)
    expect(html).toMatch(/aria-pressed="false"[^>]*data-testid="choice-workflow"/)
    expect(html).toContain('data-field="config.handler"')
    expect(html).not.toContain('data-field="config.workflow"')
  })
  it('shows the option the config chose, with the fields it brings, the chosen one marked required', () => {
    const html = choice('map', { items: 'input.rows', workflow: '{{ item.kind }}', allowed_workflows: ['a'] })
    expect(html).toMatch(/aria-pressed="true"[^>]*data-testid="choice-workflow"/)
    expect(html).toContain('data-field="config.workflow"')
    expect(html).toContain('data-field="config.allowed_workflows"')
    expect(html).toContain('data-field="config.version"')
    expect(html).toMatch(/Workflow<span class="fd-required"/)
  })
  it("says the hidden option's problems under the switch", () => {
    const both: ApiFieldError = { node: 'n', field: 'config.while', code: 'invalid_config', message: 'config.while: set Count or While, not both' }
    const html = choice('loop', { workflow: 'w', count: 3, while: 'true' }, [both])
    expect(html).toMatch(/aria-pressed="true"[^>]*data-testid="choice-count"/)
    expect(html).toContain('data-testid="field-error-config.count-while"')
    expect(html).toContain('set Count or While, not both')
  })
})
