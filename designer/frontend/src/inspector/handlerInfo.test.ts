import { describe, expect, it } from 'vitest'
import type { Handler } from '../api/types'
import type { JsonSchema } from '../graph/types'
import { inputFields, matchHandlers, typeText, unmappedRequired } from './handlerInfo'

const HANDLERS: Handler[] = [
  { name: 'billing.charge', description: 'Charges the card on file.' },
  { name: 'billing.refund', description: 'Gives the money back.' },
  { name: 'crm.lookup', description: 'Finds a customer by e-mail; charges nothing.' },
  { name: 'demo.noop', description: '' },
]
const names = (hs: Handler[]) => hs.map((h) => h.name)

describe('matchHandlers', () => {
  it('lists every handler for an empty search', () => {
    expect(names(matchHandlers(HANDLERS, '  '))).toEqual(names(HANDLERS))
  })
  it('finds handlers by what they do, not only by name', () => {
    expect(names(matchHandlers(HANDLERS, 'money'))).toEqual(['billing.refund'])
    expect(names(matchHandlers(HANDLERS, 'CUSTOMER e-mail'))).toEqual(['crm.lookup'])
  })
  it('puts name matches before description matches', () => {
    expect(names(matchHandlers(HANDLERS, 'charge'))).toEqual(['billing.charge', 'crm.lookup'])
  })
  it('needs every word to match, in the name or the description', () => {
    expect(names(matchHandlers(HANDLERS, 'billing card'))).toEqual(['billing.charge'])
    expect(names(matchHandlers(HANDLERS, 'billing zebra'))).toEqual([])
  })
})

describe('typeText', () => {
  it('says types in the designer’s words', () => {
    expect(typeText({ type: 'string' })).toBe('text')
    expect(typeText({ type: 'string', format: 'date' })).toBe('text (date)')
    expect(typeText({ type: 'integer' })).toBe('whole number')
    expect(typeText({ type: 'boolean' })).toBe('yes/no')
    expect(typeText({ type: ['string', 'null'] })).toBe('text or null')
    expect(typeText({ type: 'array', items: { type: 'string', format: 'email' } })).toBe('list of text (email)')
    expect(typeText({ type: 'array' })).toBe('list')
    expect(typeText({})).toBe('any')
  })
  it('lists a few choices of an enum', () => {
    expect(typeText({ type: 'integer', enum: [32, 64, 128] })).toBe('one of 32, 64, 128')
    expect(typeText({ enum: ['a', 'b', 'c', 'd', 'e', 'f'] })).toBe('one of a, b, c, d, e, …')
  })
})

const SCHEMA: JsonSchema = {
  type: 'object',
  properties: { start_date: { type: 'string', format: 'date', description: 'first day' }, staff: { type: 'array', items: { type: 'string' } }, shifts: { type: 'array' } },
  required: ['start_date', 'staff'],
}

describe('inputFields', () => {
  it('lists name, type, whether required and description, in schema order', () => {
    expect(inputFields(SCHEMA)).toEqual([
      { name: 'start_date', type: 'text (date)', required: true, description: 'first day' },
      { name: 'staff', type: 'list of text', required: true, description: '' },
      { name: 'shifts', type: 'list', required: false, description: '' },
    ])
  })
  it('is empty for a schema without properties', () => {
    expect(inputFields({ type: 'object' })).toEqual([])
  })
})

describe('unmappedRequired', () => {
  it('names the required fields an input mapping leaves out', () => {
    expect(unmappedRequired(SCHEMA, { start_date: '{{ input.from }}', shifts: [] })).toEqual(['staff'])
    expect(unmappedRequired(SCHEMA, { start_date: 'x', staff: [] })).toEqual([])
    expect(unmappedRequired(SCHEMA, {})).toEqual(['start_date', 'staff'])
  })
  it('cannot tell when the step passes the workflow input or a computed value', () => {
    expect(unmappedRequired(SCHEMA, undefined)).toBeNull()
    expect(unmappedRequired(SCHEMA, '{{ input }}')).toBeNull()
  })
  it('does not take inherited names for mapped fields', () => {
    expect(unmappedRequired({ type: 'object', properties: { constructor: { type: 'string' } }, required: ['constructor'] }, {})).toEqual(['constructor'])
  })
})
