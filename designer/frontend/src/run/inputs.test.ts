import { describe, expect, it } from 'vitest'
import type { Handler } from '../api/types'
import type { Config, JsonSchema } from '../graph/types'
import { exampleOf } from '../schema/example'
import { inputPath, startingInput, suggestInput, type StepLike } from './inputs'

const TODAY = '2026-03-09'
const task = (id: string, config: Config): StepLike => ({ id, type: 'task', config })
const reads = (properties: Record<string, JsonSchema>, ...required: string[]): JsonSchema => ({ type: 'object', properties, required })

const HANDLERS: Handler[] = [
  {
    name: 'crm.lookup',
    description: 'Finds a customer.',
    input_schema: reads({ email: { type: 'string', format: 'email' }, region: { type: 'string', enum: ['eu', 'us'] }, limit: { type: 'integer', minimum: 1 } }, 'email'),
  },
  { name: 'billing.charge', description: 'Charges a card.', input_schema: reads({ amount: { type: 'number', examples: [12.5] }, card: { type: 'string' }, capture: { type: 'boolean', default: true } }, 'amount') },
  { name: 'demo.noop', description: 'Does nothing.', input_schema: null },
  { name: 'legacy.any', description: '' },
]

const suggest = (steps: StepLike[]) => suggestInput(steps, HANDLERS, TODAY)

describe('inputPath', () => {
  it('reads exactly one reference to the input or a field of it', () => {
    expect(inputPath('{{ input }}')).toEqual([])
    expect(inputPath('{{input.customer.email}}')).toEqual(['customer', 'email'])
    expect(inputPath('{{ input_data.amount }}')).toEqual(['amount'])
  })
  it('is null for anything that computes, mixes text in or reads elsewhere', () => {
    for (const text of ['{{ input.a + 1 }}', 'Dear {{ input.name }}', '{{ get(input, "a") }}', '{{ steps.a.output.x }}', '{{ input["a"] }}', ' {{ input.a }}', 'input.a']) {
      expect(inputPath(text)).toBeNull()
    }
    expect(inputPath(3)).toBeNull()
  })
})

describe('suggestInput', () => {
  it('puts an example of each mapped field at the input path it reads, schema examples first', () => {
    const { input, steps } = suggest([task('charge', { handler: 'billing.charge', input: { amount: '{{ input.total }}', capture: '{{ input.capture_now }}', card: 'tok_1' } })])
    expect(input).toEqual({ total: 12.5, capture_now: true })
    expect(steps).toEqual(['charge'])
  })

  it('builds nested paths and merges the fields of several steps under one object', () => {
    const { input } = suggest([
      task('find', { handler: 'crm.lookup', input: { email: '{{ input.customer.email }}', region: '{{ input.customer.region }}' } }),
      task('charge', { handler: 'billing.charge', input: { amount: '{{ input.order.amount }}' } }),
    ])
    expect(input).toEqual({ customer: { email: 'name@example.com', region: 'eu' }, order: { amount: 12.5 } })
  })

  it('lets the first step win where two steps read the same path as different things', () => {
    const { input, steps } = suggest([
      task('find', { handler: 'crm.lookup', input: { limit: '{{ input.n }}' } }),
      task('charge', { handler: 'billing.charge', input: { amount: '{{ input.n }}', card: '{{ input.n.card }}' } }),
    ])
    expect(input).toEqual({ n: 1 })
    expect(steps).toEqual(['find'])
  })

  it('keeps an object a first step put there and adds a later step’s fields inside it', () => {
    const { input, steps } = suggest([
      task('pay', { handler: 'billing.charge', input: { amount: '{{ input.order.total }}' } }),
      task('all', { handler: 'crm.lookup', input: '{{ input.order }}' }),
      task('clash', { handler: 'crm.lookup', input: { email: '{{ input.order.total.email }}' } }),
    ])
    expect(input).toEqual({ order: { total: 12.5, email: 'name@example.com', region: 'eu', limit: 1 } })
    expect(steps).toEqual(['pay', 'all'])
  })

  it('gives a step without input (or with {{ input }}) every field of its schema at the top', () => {
    expect(suggest([task('find', { handler: 'crm.lookup' })]).input).toEqual({ email: 'name@example.com', region: 'eu', limit: 1 })
    expect(suggest([task('pay', { handler: 'billing.charge', input: '{{ input }}' })]).input).toEqual({ amount: 12.5, card: '', capture: true })
  })

  it('suggests nothing for handlers without a schema, fields the schema does not declare, or steps that compute', () => {
    const nothing = suggest([
      task('a', { handler: 'demo.noop', input: { x: '{{ input.x }}' } }),
      task('b', { handler: 'legacy.any', input: { x: '{{ input.x }}' } }),
      task('c', { handler: 'billing.charge', input: { tip: '{{ input.tip }}', amount: '{{ input.a * 2 }}' } }),
      task('d', { handler: 'not.registered', input: { amount: '{{ input.amount }}' } }),
      { id: 'e', type: 'http', config: { handler: 'billing.charge', input: { amount: '{{ input.amount }}' } } },
    ])
    expect(nothing).toEqual({ input: {}, steps: [] })
  })

  it('follows nested mappings and lists into the schema', () => {
    const handlers: Handler[] = [
      {
        name: 'mail.send',
        description: '',
        input_schema: reads({ to: { type: 'array', items: { type: 'string', format: 'email' } }, meta: { type: 'object', properties: { day: { type: 'string', format: 'date' } } } }),
      },
    ]
    const { input } = suggestInput([task('send', { handler: 'mail.send', input: { to: ['{{ input.user_email }}'], meta: { day: '{{ input.when }}' } } })], handlers, TODAY)
    expect(input).toEqual({ user_email: 'name@example.com', when: TODAY })
  })

  it('writes paths named like what every object inherits as plain keys', () => {
    const { input } = suggest([task('x', { handler: 'billing.charge', input: { amount: '{{ input.__proto__.constructor }}', constructor: '{{ input.toString }}' } })])
    expect(Object.getPrototypeOf(input)).toBe(Object.prototype)
    expect(Object.keys(input)).toEqual(['__proto__'])
    expect(JSON.parse(JSON.stringify(input))).toEqual(JSON.parse('{"__proto__": {"constructor": 12.5}}'))
  })
})

describe('startingInput', () => {
  const steps = [task('find', { handler: 'crm.lookup', input: { email: '{{ input.email }}' } })]
  it("keeps the template's example input when it has one", () => {
    expect(startingInput({ email: 'a@b.c' }, steps, HANDLERS)).toEqual({ value: { email: 'a@b.c' }, suggestedFrom: [] })
  })
  it('suggests one from the graph when the example is missing or empty', () => {
    expect(startingInput({}, steps, HANDLERS)).toEqual({ value: { email: 'name@example.com' }, suggestedFrom: ['find'] })
    expect(startingInput(undefined, steps, HANDLERS).suggestedFrom).toEqual(['find'])
  })
})

describe('exampleOf', () => {
  it('takes default, then const, then examples, then enum', () => {
    expect(exampleOf({ type: 'integer', default: 5, examples: [7], enum: [1] }, TODAY)).toBe(5)
    expect(exampleOf({ const: 'v1', examples: ['x'] }, TODAY)).toBe('v1')
    expect(exampleOf({ type: 'integer', examples: [7], enum: [1] }, TODAY)).toBe(7)
    expect(exampleOf({ type: 'string', enum: ['day', 'night'] }, TODAY)).toBe('day')
    expect(exampleOf({ type: 'string', default: null }, TODAY)).toBeNull()
  })
  it('falls back to a placeholder of the declared type', () => {
    expect(exampleOf({ type: 'string' }, TODAY)).toBe('')
    expect(exampleOf({ type: 'string', format: 'date' }, TODAY)).toBe(TODAY)
    expect(exampleOf({ type: 'string', format: 'date-time' }, TODAY)).toBe(`${TODAY}T09:00:00Z`)
    expect(exampleOf({ type: 'integer', exclusiveMinimum: 0 }, TODAY)).toBe(1)
    expect(exampleOf({ type: 'number', minimum: 10, maximum: 5 }, TODAY)).toBe(5)
    expect(exampleOf({ type: ['null', 'boolean'] }, TODAY)).toBe(false)
    expect(exampleOf({ type: 'array', items: { type: 'string' } }, TODAY)).toEqual([''])
    expect(exampleOf({ type: 'object', properties: { a: { type: 'integer' } } }, TODAY)).toEqual({ a: 0 })
    expect(exampleOf({ type: 'object', additionalProperties: { type: 'string' } }, TODAY)).toEqual({})
    expect(exampleOf({ oneOf: [{ type: 'number' }, { type: 'string' }] }, TODAY)).toBe(0)
    expect(exampleOf({}, TODAY)).toBeNull()
  })
})
