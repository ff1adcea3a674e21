import { describe, expect, it } from 'vitest'
import { QUERY_NAME, errorsOfAll, errorsOfQuery, nameProblems, namePattern, rowsOf, valueOf, type QueryRow } from './queries'

const RULE = new RegExp(QUERY_NAME)

describe('query rows', () => {
  it('reads the value as rows, by name when stored (jsonb keeps no order), and writes every named row back', () => {
    const value = { progress: 'steps.work.status', owner: "get(input, 'owner')", Zed: 'vars.z' }
    expect(rowsOf(value)).toEqual([['progress', 'steps.work.status'], ['owner', "get(input, 'owner')"], ['Zed', 'vars.z']])
    expect(rowsOf(value, true)).toEqual([['Zed', 'vars.z'], ['owner', "get(input, 'owner')"], ['progress', 'steps.work.status']])
    expect(valueOf(rowsOf(value))).toEqual(value)
    expect(rowsOf(undefined)).toEqual([])
    expect(rowsOf('junk')).toEqual([])
  })
  it('keeps a row without a name out of the value, and an empty list is no value', () => {
    expect(valueOf([['', 'input.x'], ['b', '']])).toEqual({ b: '' })
    expect(valueOf([['', '']])).toBeUndefined()
    expect(valueOf([])).toBeUndefined()
  })
  it('never turns a name like __proto__ into a prototype', () => {
    const v = valueOf([['__proto__', 'input.x']])!
    expect(Object.keys(v)).toEqual(['__proto__'])
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype)
  })
})

describe('query names', () => {
  it("follows the server's rule", () => {
    expect(namePattern({ propertyNames: { pattern: '^[a-z]+$' } }).test('ABC')).toBe(false)
    expect(namePattern({}).source).toBe(QUERY_NAME)
    for (const ok of ['progress', '_x', 'a-b_c9', 'A'.repeat(64)]) expect(RULE.test(ok)).toBe(true)
    for (const bad of ['9lives', 'has space', 'a.b', '-x', 'A'.repeat(65), 'é']) expect(RULE.test(bad)).toBe(false)
  })
  it('says what is wrong with each row, at once', () => {
    const rows: QueryRow[] = [['progress', 'a'], ['bad name', 'b'], ['', 'c'], ['', ''], ['dup', 'd'], ['dup', 'e']]
    const problems = nameProblems(rows, RULE)
    expect(problems[0]).toBeNull()
    expect(problems[1]).toMatch(/starts with a letter/)
    expect(problems[2]).toBe('give the query a name')
    expect(problems[3]).toBeNull() // a fresh empty row is no problem yet
    expect(problems[4]).toBe('two queries are named dup')
    expect(problems[5]).toBe('two queries are named dup')
  })
})

describe("the server's errors on queries", () => {
  const errors = [
    { field: 'settings.queries', message: "settings.queries: 'bad name' does not match '^…'" },
    { field: 'settings.queries.progress', message: 'settings.queries.progress: syntax error' },
    { field: 'settings.queries.progressive', message: 'other' },
    { field: 'settings.on_failure', message: 'x' },
  ]
  it('puts each on its row, by name, and the rest on the whole', () => {
    expect(errorsOfQuery(errors, 'settings.queries', 'progress').map((e) => e.message)).toEqual(['settings.queries.progress: syntax error'])
    expect(errorsOfQuery(errors, 'settings.queries', '')).toEqual([])
    expect(errorsOfAll(errors, 'settings.queries')).toEqual([errors[0]])
  })
})
