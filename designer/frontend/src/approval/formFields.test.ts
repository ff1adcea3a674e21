import { describe, expect, it } from 'vitest'
import type { Json } from '../graph/types'
import {
  addField,
  boundsText,
  contextProblems,
  contextRows,
  contextValue,
  defaultProblem,
  defaultText,
  errorsByRow,
  escalationUses,
  fieldsOf,
  formValue,
  freshName,
  messagesOf,
  moveField,
  nameFromLabel,
  nameProblems,
  parseDefault,
  relabel,
  removeAt,
  retype,
  rowMessageCount,
  shownLabel,
  withAction,
  type FormField,
} from './formFields'

const amount: FormField = { name: 'amount', type: 'number', required: true, min: 0 }
const reason: FormField = { name: 'reason', type: 'textarea', label: 'Reason' }
const level: FormField = { name: 'level', type: 'choice', choices: ['low', 'high'] }

describe('the form value', () => {
  it('reads a list of field objects and writes it back unchanged', () => {
    const value: Json = [{ name: 'amount', type: 'number', required: true, min: 0 }, { name: 'reason', type: 'textarea', label: 'Reason' }]
    expect(formValue(fieldsOf(value))).toEqual(value)
  })
  it('reads anything else as no fields, and no fields as no value', () => {
    expect(fieldsOf(undefined)).toEqual([])
    expect(fieldsOf('junk')).toEqual([])
    expect(fieldsOf([1, null, { type: 'date' }])).toEqual([{ name: '', type: 'date' }])
    expect(formValue([])).toBeUndefined()
  })
  it('keeps keys it does not know, for the server to judge', () => {
    expect(formValue(fieldsOf([{ name: 'x', type: 'text', colour: 'red' }]))).toEqual([{ name: 'x', type: 'text', colour: 'red' }])
  })
})

describe('adding, moving and removing fields', () => {
  it('gives a new field a name no other field has', () => {
    expect(addField([])).toEqual([{ name: 'field_1', type: 'text' }])
    expect(freshName([{ name: 'field_2', type: 'text' }, { name: 'x', type: 'text' }])).toBe('field_3')
    expect(freshName([{ name: 'field_1', type: 'text' }])).toBe('field_2')
  })
  it('starts a choice field with an empty list of choices', () => {
    expect(addField([amount], 'choice')[1]).toEqual({ name: 'field_2', type: 'choice', choices: [] })
  })
  it('moves a field up or down by one and does nothing past either end', () => {
    const fields = [amount, reason, level]
    expect(moveField(fields, 2, -1).map((f) => f.name)).toEqual(['amount', 'level', 'reason'])
    expect(moveField(fields, 0, 1).map((f) => f.name)).toEqual(['reason', 'amount', 'level'])
    expect(moveField(fields, 0, -1)).toEqual(fields)
    expect(moveField(fields, 2, 1)).toEqual(fields)
    expect(moveField(fields, 0, -1)).not.toBe(fields) // a copy, never the list itself
  })
  it('removes a field by its place', () => {
    expect(removeAt([amount, reason, level], 1)).toEqual([amount, level])
  })
})

describe('changing a field', () => {
  it('drops the choices of a field that stops being a choice, and keeps them coming back', () => {
    const text = retype(level, 'text')
    expect(text).toEqual({ name: 'level', type: 'text' })
    expect(retype(level, 'choice').choices).toEqual(['low', 'high'])
    expect(retype(amount, 'choice').choices).toEqual([])
  })
  it('drops min and max for a type that has no bounds', () => {
    expect(retype(amount, 'boolean')).toEqual({ name: 'amount', type: 'boolean', required: true })
    expect(retype(amount, 'text')).toEqual({ ...amount, type: 'text' })
  })
  it('derives a name from a label', () => {
    expect(nameFromLabel('Cost centre (EU)')).toBe('cost_centre_eu')
    expect(nameFromLabel('Café crème')).toBe('cafe_creme')
    expect(nameFromLabel('2nd reviewer')).toBe('f_2nd_reviewer')
    expect(nameFromLabel('!!!')).toBe('')
    expect(nameFromLabel('a'.repeat(80))).toHaveLength(50)
  })
  it('lets the name follow the label until the analyst names the field', () => {
    const fresh: FormField = { name: 'field_1', type: 'text' }
    const named = relabel(fresh, 'Cost centre', [fresh])
    expect(named).toEqual({ name: 'cost_centre', type: 'text', label: 'Cost centre' })
    expect(relabel(named, 'Cost centre code', [named]).name).toBe('cost_centre_code')
    const own: FormField = { name: 'cc', type: 'text', label: 'Cost centre' }
    expect(relabel(own, 'Cost centre code', [own]).name).toBe('cc')
  })
  it('does not follow the label onto a name another field has', () => {
    const fresh: FormField = { name: 'field_2', type: 'text' }
    expect(relabel(fresh, 'Amount', [amount, fresh]).name).toBe('field_2')
  })
  it('removes an emptied label', () => {
    expect(relabel(reason, '', [reason])).toEqual({ name: 'reason', type: 'textarea' })
  })
  it('says at once what is wrong with a name', () => {
    expect(nameProblems([amount, { name: 'Bad', type: 'text' }, { name: '', type: 'text' }, { name: 'amount', type: 'date' }])).toEqual([
      'two fields are named amount',
      'lower-case letters, digits and _ only, starting with a letter',
      'give the field a name',
      'two fields are named amount',
    ])
  })
})

describe('what the reviewer sees', () => {
  it('labels a field by its label, else its name in words', () => {
    expect(shownLabel(reason)).toBe('Reason')
    expect(shownLabel({ name: 'cost_centre', type: 'text' })).toBe('Cost centre')
  })
  it('says the bounds of numbers and of text lengths', () => {
    expect(boundsText(amount)).toBe('at least 0')
    expect(boundsText({ name: 'n', type: 'text', min: 2, max: 10 })).toBe('2–10 characters')
    expect(boundsText({ name: 'n', type: 'textarea', max: 500 })).toBe('at most 500 characters')
    expect(boundsText({ name: 'd', type: 'date', min: 1 })).toBe('')
  })
})

describe("the server's errors on the form", () => {
  const errors = [
    { field: 'config.form.1.type', message: "config.form.1.type: 'weird' is not one of ['text', 'textarea']" },
    { field: 'config.form.1.type', message: "config.form.1.type: field 'b' has the unknown type 'weird'" },
    { field: 'config.form.0.choices', message: "config.form.0.choices: field 'a': a choice field needs its choices" },
    { field: 'config.form.0.choices.1', message: "config.form.0.choices.1: '' should be non-empty" },
    { field: 'config.form.2.name', message: "config.form.2: 'name' is a required property" },
    { field: 'config.form', message: 'config.form: [...] is too long' },
    { field: 'config.formal', message: 'not ours' },
    { field: 'config.title', message: 'not ours either' },
  ]
  const { rows, whole } = errorsByRow(errors, 'config.form')
  it('puts each error on its row and the input it is about, without its path', () => {
    expect(messagesOf(rows.get(0), 'choices')).toEqual(["field 'a': a choice field needs its choices"])
    expect(messagesOf(rows.get(0), 'choices', true)).toEqual(["field 'a': a choice field needs its choices", "'' should be non-empty"])
    expect(messagesOf(rows.get(2), 'name')).toEqual(["'name' is a required property"])
    expect(whole).toEqual(['[...] is too long'])
    expect([...rows.keys()].sort()).toEqual([0, 1, 2])
  })
  it("says a problem once, in the step's words rather than JSON Schema's", () => {
    expect(messagesOf(rows.get(1), 'type')).toEqual(["field 'b' has the unknown type 'weird'"])
  })
  it('counts the messages of a row', () => {
    expect(rowMessageCount(rows.get(0))).toBe(2)
    expect(rowMessageCount(undefined)).toBe(0)
  })
})

describe('the context lines', () => {
  it('reads and writes label → expression rows, leaving unlabelled rows out', () => {
    const value = { Amount: '{{ input.amount }}', Supplier: '{{ input.supplier.name }}' }
    expect(contextValue(contextRows(value))).toEqual(value)
    expect(contextValue([['', '{{ input.x }}']])).toBeUndefined()
    expect(contextRows({ n: 3 })).toEqual([['n', '3']])
  })
  it('never turns a label like __proto__ into a prototype', () => {
    const v = contextValue([['__proto__', 'x']])!
    expect(Object.keys(v)).toEqual(['__proto__'])
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype)
  })
  it('flags an unlabelled line with an expression and a repeated label', () => {
    expect(contextProblems([['', 'x'], ['', ''], ['A', '1'], ['A', '2']])).toEqual(['give the line a label', null, 'two lines are labelled A', 'two lines are labelled A'])
  })
})

describe('the escalation', () => {
  it('keeps only the keys the chosen action uses', () => {
    const old = { action: 'reassign', group: 'managers', to: ['boss@example.com'] }
    expect(withAction(old, 'notify')).toEqual({ action: 'notify', to: ['boss@example.com'] })
    expect(withAction(old, 'decide')).toEqual({ action: 'decide' })
    expect(withAction({ action: 'decide', outcome: 'rejected' }, 'reassign')).toEqual({ action: 'reassign' })
    expect(withAction(old, '')).toBeUndefined()
  })
  it('knows which inputs each action shows', () => {
    expect(escalationUses('reassign', 'group')).toBe(true)
    expect(escalationUses('reassign', 'to')).toBe(true)
    expect(escalationUses('notify', 'group')).toBe(false)
    expect(escalationUses('decide', 'outcome')).toBe(true)
    expect(escalationUses('decide', 'to')).toBe(false)
  })
})

describe('a field\'s default', () => {
  it('is a number when a number field\'s text is a plain number, else the text', () => {
    expect(parseDefault('12', 'number')).toBe(12)
    expect(parseDefault(' -2.5 ', 'number')).toBe(-2.5)
    expect(parseDefault('1e3', 'number')).toBe(1000)
    expect(parseDefault('{{ input.amount }}', 'number')).toBe('{{ input.amount }}')
    expect(parseDefault('12 EUR', 'number')).toBe('12 EUR')
    expect(parseDefault('0x10', 'number')).toBe('0x10')
  })
  it('is nothing for blank text', () => {
    for (const type of ['text', 'number', 'boolean', 'choice', 'date']) expect(parseDefault('  ', type)).toBeUndefined()
  })
  it('keeps a text field\'s text as typed and reads true and false for a yes/no field', () => {
    expect(parseDefault(' 12 ', 'text')).toBe(' 12 ')
    expect(parseDefault('Looks fine', 'textarea')).toBe('Looks fine')
    expect(parseDefault('True', 'boolean')).toBe(true)
    expect(parseDefault('false', 'boolean')).toBe(false)
    expect(parseDefault('{{ input.urgent }}', 'boolean')).toBe('{{ input.urgent }}')
    expect(parseDefault('Sales', 'choice')).toBe('Sales')
  })
  it('shows as the text that means it', () => {
    expect(defaultText(undefined)).toBe('')
    expect(defaultText(12)).toBe('12')
    expect(defaultText(false)).toBe('false')
    expect(parseDefault(defaultText(-0.5), 'number')).toBe(-0.5)
  })
  it('is read again when the field changes type', () => {
    expect(retype({ name: 'n', type: 'text', default: '12' }, 'number').default).toBe(12)
    expect(retype({ name: 'n', type: 'number', default: 12 }, 'text').default).toBe('12')
    expect(retype({ name: 'n', type: 'text', default: '{{ input.x }}' }, 'boolean').default).toBe('{{ input.x }}')
    expect('default' in retype({ name: 'n', type: 'text' }, 'number')).toBe(false)
  })
  it('says when a value does not suit the field\'s type (an expression always may)', () => {
    expect(defaultProblem({ name: 'n', type: 'number', default: 'lots' })).toBe('a number or a {{ expression }}')
    expect(defaultProblem({ name: 'n', type: 'number', default: 5, min: 10 })).toBe('below the minimum, 10')
    expect(defaultProblem({ name: 'n', type: 'number', default: '{{ input.n }}' })).toBeNull()
    expect(defaultProblem({ name: 'b', type: 'boolean', default: 'yes' })).toBe('true, false or a {{ expression }}')
    expect(defaultProblem({ name: 'd', type: 'date', default: '31/01/2026' })).toMatch(/YYYY-MM-DD/)
    expect(defaultProblem({ name: 'd', type: 'date', default: '2026-01-31' })).toBeNull()
    expect(defaultProblem({ ...level, default: 'medium' })).toBe('one of the choices or a {{ expression }}')
    expect(defaultProblem({ ...level, default: 'high' })).toBeNull()
    expect(defaultProblem({ name: 't', type: 'text', default: 'anything' })).toBeNull()
  })
})
