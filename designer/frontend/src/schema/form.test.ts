import { describe, expect, it } from 'vitest'
import { TYPES } from '../graph/fixtures'
import type { JsonSchema } from '../graph/types'
import {
  errorsForField,
  executionTitle,
  fieldKind,
  fieldShown,
  hiddenField,
  fieldTitle,
  getAt,
  listItemNoun,
  listPlaceholder,
  mapAllowsNonString,
  numberProblem,
  orderedFields,
  parseJsonText,
  parseListItem,
  parseMapValue,
  parseNumber,
  preciseField,
  renderedPaths,
  setAt,
} from './form'

const RETRY: JsonSchema = {
  type: 'object',
  properties: { max_attempts: { type: 'integer', minimum: 1, maximum: 100 }, jitter: { type: 'boolean' }, non_retryable: { type: 'array', items: { type: 'string' } } },
}
const TASK: JsonSchema = {
  type: 'object',
  properties: {
    on_failure: { type: 'string', enum: ['fail', 'continue', 'route'] },
    join: { type: 'string', enum: ['all', 'any'] },
    retry: RETRY,
    timeout_s: { type: 'number', exclusiveMinimum: 0 },
    handler: { type: 'string', 'x-widget': 'handler' },
    input: { title: 'Input' },
    headers: { type: 'object', additionalProperties: { type: 'string' } },
  },
  required: ['handler'],
}

describe('schema form helpers', () => {
  it('picks a widget per property', () => {
    const p = TASK.properties!
    expect(fieldKind(p.handler)).toBe('handler')
    expect(fieldKind({ type: 'string', 'x-widget': 'expression' })).toBe('expression')
    expect(fieldKind(p.on_failure)).toBe('enum')
    expect(fieldKind(p.retry)).toBe('object')
    expect(fieldKind(p.timeout_s)).toBe('number')
    expect(fieldKind(RETRY.properties!.max_attempts)).toBe('integer')
    expect(fieldKind(RETRY.properties!.jitter)).toBe('boolean')
    expect(fieldKind(RETRY.properties!.non_retryable)).toBe('list')
    expect(fieldKind({ type: 'array', items: { type: 'integer' } })).toBe('list')
    expect(fieldKind({ type: 'array', items: { type: 'object' } })).toBe('json')
    expect(fieldKind(p.input)).toBe('json')
    expect(fieldKind(p.headers)).toBe('map')
    expect(fieldKind({ type: ['string', 'number'] })).toBe('json')
  })
  it('picks the template picker for a child workflow and the allowed-names editor for a list of them', () => {
    expect(fieldKind({ type: 'string', 'x-widget': 'template' })).toBe('template')
    expect(fieldKind({ type: 'array', items: { type: 'string', 'x-widget': 'template' } })).toBe('templates')
  })
  it("picks the version picker for a child's pinned version, a number input for other integers", () => {
    expect(fieldKind({ type: 'integer', minimum: 1, 'x-widget': 'template-version' })).toBe('template-version')
    expect(fieldKind({ type: 'integer', minimum: 1 })).toBe('integer')
  })

  it("puts a step's own fields first and execution settings after", () => {
    expect(orderedFields(TASK)).toEqual({ main: ['handler', 'input', 'headers'], execution: ['retry', 'timeout_s', 'join', 'on_failure'] })
  })

  it('titles fields', () => {
    expect(fieldTitle('max_attempts', {})).toBe('Max attempts')
    expect(fieldTitle('initial_s', {})).toBe('Initial (s)')
    expect(fieldTitle('input', { title: 'Input' })).toBe('Input')
  })

  it('reads and writes nested values immutably, pruning emptied parents', () => {
    const config = { handler: 'h', retry: { max_attempts: 3 } }
    const more = setAt(config, ['retry', 'jitter'], true)
    expect(more).toEqual({ handler: 'h', retry: { max_attempts: 3, jitter: true } })
    expect(config.retry).toEqual({ max_attempts: 3 })
    expect(getAt(more, ['retry', 'jitter'])).toBe(true)
    expect(getAt(more, ['handler', 'x'])).toBeUndefined()
    expect(setAt(config, ['retry', 'max_attempts'], undefined)).toEqual({ handler: 'h' })
    expect(setAt(config, ['handler'], undefined)).toEqual({ retry: { max_attempts: 3 } })
    expect(setAt({}, ['a', 'b'], 1)).toEqual({ a: { b: 1 } })
    const untouched = setAt(config, ['handler'], 'g')
    expect(untouched.retry).toBe(config.retry)
  })

  it('parses numbers and checks bounds', () => {
    expect(parseNumber('', false)).toEqual({})
    expect(parseNumber(' 2.5 ', false)).toEqual({ value: 2.5 })
    expect(parseNumber('2.5', true).error).toBe('enter a whole number')
    expect(parseNumber('abc', false).error).toBe('enter a number')
    expect(numberProblem(0, RETRY.properties!.max_attempts)).toBe('must be at least 1')
    expect(numberProblem(0, TASK.properties!.timeout_s)).toBe('must be more than 0')
    expect(numberProblem(5, RETRY.properties!.max_attempts)).toBeNull()
  })

  it('parses list items and map values by schema', () => {
    expect(parseListItem('404', { type: 'integer' })).toBe(404)
    expect(parseListItem('ValidationError', { type: 'string' })).toBe('ValidationError')
    expect(mapAllowsNonString(TASK.properties!.headers)).toBe(false)
    expect(mapAllowsNonString({ type: 'object' })).toBe(true)
    expect(parseMapValue('42', true)).toBe(42)
    expect(parseMapValue('true', true)).toBe(true)
    expect(parseMapValue('{"a": 1}', true)).toEqual({ a: 1 })
    expect(parseMapValue('{{ input.x }}', true)).toBe('{{ input.x }}')
    expect(parseMapValue('{ broken', true)).toBe('{ broken')
    expect(parseMapValue('42', false)).toBe('42')
  })

  it('parses JSON editor text', () => {
    expect(parseJsonText('  ')).toEqual({})
    expect(parseJsonText('{"a": [1]}')).toEqual({ value: { a: [1] } })
    expect(parseJsonText('{a: 1}').error).toMatch(/^not valid JSON/)
  })

  it('matches server errors to fields', () => {
    const errors = [
      { field: 'config.retry.max_attempts', message: 'too small' },
      { field: 'config.retry', message: 'bad policy' },
      { field: 'config.cases[1]', message: 'bad case' },
      { field: 'config.cases.0', message: 'bad case 0' },
      { field: 'config.casesx', message: 'other' },
      { field: null, message: 'graph' },
    ]
    expect(errorsForField(errors, 'config.retry').map((e) => e.message)).toEqual(['bad policy'])
    expect(errorsForField(errors, 'config.retry.max_attempts').map((e) => e.message)).toEqual(['too small'])
    expect(errorsForField(errors, 'config.cases').map((e) => e.message)).toEqual(['bad case', 'bad case 0'])
  })

  it('lists the rendered field paths', () => {
    expect(renderedPaths(TASK, 'config')).toContain('config.retry.max_attempts')
    expect(renderedPaths(TASK, 'config')).toContain('config.headers')
  })
})

describe('error fields', () => {
  it('moves a missing-property error from its parent object to the property', () => {
    expect(preciseField({ field: 'config', message: "'handler' is a required property" })).toBe('config.handler')
    expect(preciseField({ field: 'config', message: "config: 'expression' is a required property" })).toBe('config.expression')
    expect(preciseField({ field: 'config.retry', message: "'max_attempts' is a required property" })).toBe('config.retry.max_attempts')
    expect(preciseField({ field: 'config.handler', message: 'no handler named x' })).toBe('config.handler')
    expect(preciseField({ field: null, message: "'x' is a required property" })).toBeNull()
    expect(preciseField({ field: 'edges[2]', message: "'source' is a required property" })).toBe('edges[2]')
  })
})

describe('list fields', () => {
  const TO: JsonSchema = { type: 'array', items: { type: 'string', title: 'Recipient', examples: ['ops@example.com', 'user:alice', 'group:reviewers'] } }
  it('names an item by its schema title, else "item"', () => {
    expect(fieldKind(TO)).toBe('list')
    expect(listItemNoun(TO)).toBe('recipient')
    expect(listItemNoun({ type: 'array', items: { type: 'string' } })).toBe('item')
    expect(listItemNoun({ type: 'array' })).toBe('item')
  })
  it('offers the item examples as a placeholder', () => {
    expect(listPlaceholder(TO)).toBe('e.g. ops@example.com, user:alice or group:reviewers')
    expect(listPlaceholder({ type: 'array', items: { type: 'integer', examples: [200] } })).toBe('e.g. 200')
    expect(listPlaceholder({ type: 'array', items: { type: 'string', examples: [{ no: 1 }] } })).toBe('')
    expect(listPlaceholder({ type: 'array', items: { type: 'string' } })).toBe('')
  })
})

describe('the fields issue 11 added', () => {
  const task = TYPES.task.schema
  it("gives a step's compensation its own widget, and keeps a plain handler a handler", () => {
    expect(fieldKind(task.properties!.compensate)).toBe('compensate')
    expect(fieldKind(task.properties!.handler)).toBe('handler')
    expect(fieldKind({ type: 'object', 'x-widget': 'expressions', additionalProperties: { type: 'string' } })).toBe('expression-map')
  })
  it("puts a worker's Wait for it and heartbeat with its execution settings", () => {
    expect(orderedFields(task)).toEqual({ main: ['handler', 'input', 'compensate'], execution: ['wait', 'retry', 'timeout_s', 'heartbeat_s', 'join', 'on_failure'] })
  })
  it("keeps a signal's timeout and a sub-workflow's wait with what the step does", () => {
    expect(orderedFields(TYPES.signal.schema)).toEqual({ main: ['name', 'timeout_s'], execution: ['join', 'on_failure'] })
    expect(orderedFields(TYPES.subworkflow.schema).main).toContain('wait')
  })
  it('titles the execution section by what is in it', () => {
    expect(executionTitle(['join', 'on_failure'])).toBe('Execution: joins, failures')
    expect(executionTitle(['wait', 'retry', 'timeout_s', 'heartbeat_s', 'join', 'on_failure'])).toBe('Execution: waiting, retries, timeouts, joins, failures')
    expect(executionTitle(['retry', 'timeout_s', 'join', 'on_failure'])).toBe('Execution: retries, timeouts, joins, failures')
  })
  it("hides a map's Wait for it unless it is set (then the server's error has a place)", () => {
    expect(hiddenField('map', 'wait', {})).toBe(true)
    expect(hiddenField('map', 'wait', { wait: false })).toBe(false)
    expect(hiddenField('task', 'wait', {})).toBe(false)
    expect(hiddenField('map', 'retry', {})).toBe(false)
  })
  it("lists the compensation's handler and policy fields and a query's name as rendered", () => {
    const shown = new Set(renderedPaths(task, 'config'))
    for (const f of ['config.compensate', 'config.compensate.handler', 'config.compensate.retry', 'config.compensate.retry.max_attempts', 'config.wait', 'config.heartbeat_s']) {
      expect(fieldShown(f, shown)).toBe(true)
    }
    expect(fieldShown('config.compensatex', shown)).toBe(false)
    const settings = new Set(renderedPaths({ properties: { queries: { type: 'object', 'x-widget': 'expressions' }, on_failure: { enum: ['fail'] } } }, 'settings'))
    expect(fieldShown('settings.queries.progress', settings)).toBe(true)
    expect(fieldShown('settings.queries', settings)).toBe(true)
    expect(fieldShown('settings.on_failure', settings)).toBe(true)
    expect(fieldShown('settings.timeout_s', settings)).toBe(false)
    expect(fieldShown('settings', settings)).toBe(false)
  })
  it('shows an item of a rendered list on its list', () => {
    const shown = new Set(['config.cases'])
    expect(fieldShown('config.cases[2]', shown)).toBe(true)
    expect(fieldShown('config.cases.0', shown)).toBe(true)
    expect(fieldShown('config.casesx', shown)).toBe(false)
  })
})
