import { describe, expect, it } from 'vitest'
import { emptyForm, errorsByField, formOf, toBody, wallTime, type Schedule } from './schedules'

const stored: Schedule = {
  id: 3,
  name: 'nightly',
  template: 'billing',
  version: null,
  cron: '0 2 * * *',
  timezone: 'Europe/Paris',
  input: { region: 'eu' },
  priority: 50,
  overlap: 'skip',
  catch_up: false,
  enabled: true,
  next_fire_at: '2026-12-01T01:00:00Z',
  last_fired_at: null,
  buffered_fire_at: null,
  next_fires: ['2026-12-01T02:00:00+01:00'],
  last_runs: [],
  problem: null,
}

describe('the schedule form', () => {
  it('starts from a free name, every day at 02:00 in the given zone', () => {
    const form = emptyForm('billing', ['billing-schedule'], 'Europe/Paris')
    expect(form).toMatchObject({ name: 'billing-schedule-2', cron: '0 2 * * *', timezone: 'Europe/Paris', overlap: 'skip', enabled: true })
  })

  it('sends every field with the template on create, parsed', () => {
    const { body, errors } = toBody({ ...emptyForm('billing', [], 'UTC'), version: '2', priority: '70', input: '{"a": 1}' }, 'billing')
    expect(errors).toEqual({})
    expect(body).toEqual({ name: 'billing-schedule', template: 'billing', cron: '0 2 * * *', timezone: 'UTC', version: 2, input: { a: 1 }, priority: 70, overlap: 'skip', catch_up: false, enabled: true })
  })

  it('sends only what changed on an edit, and an empty version as null', () => {
    const before = formOf(stored)
    expect(toBody({ ...before, cron: ' 30 4 * * * ' }, 'billing', before).body).toEqual({ cron: '30 4 * * *' })
    expect(toBody({ ...formOf({ ...stored, version: 2 }), version: '' }, 'billing', formOf({ ...stored, version: 2 })).body).toEqual({ version: null })
    expect(toBody(before, 'billing', before).body).toEqual({})
  })

  it('refuses input that is not a JSON object, and a priority that is not a number, before asking the server', () => {
    expect(toBody({ ...formOf(stored), input: '[1]' }, 'billing').errors).toEqual({ input: ['must be a JSON object'] })
    expect(toBody({ ...formOf(stored), input: '{nope' }, 'billing').errors.input?.[0]).toMatch(/^not valid JSON/)
    expect(toBody({ ...formOf(stored), priority: 'high' }, 'billing')).toEqual({ body: null, errors: { priority: ['must be a whole number from 0 to 100'] } })
  })
})

describe("the server's errors", () => {
  it('land on their fields; the rest above the form', () => {
    const errors = errorsByField(
      [
        { field: 'cron', message: "minute: '61' is not valid here" },
        { field: 'timezone', message: "unknown time zone 'Mars/Base'" },
        { field: 'template', message: 'template is archived' },
        { field: null, message: 'something else' },
      ],
      'fallback',
    )
    expect(errors).toEqual({ cron: ["minute: '61' is not valid here"], timezone: ["unknown time zone 'Mars/Base'"], '': ['template: template is archived', 'something else'] })
  })

  it('fall back to the message when the body has no field errors', () => {
    expect(errorsByField([], 'the server answered 500')).toEqual({ '': ['the server answered 500'] })
  })
})

describe('fire times', () => {
  it("read in the schedule's zone, not the viewer's, with the offset and weekday", () => {
    expect(wallTime('2026-12-01T02:00:00+01:00')).toBe('Tue 2026-12-01 02:00 +01:00')
    expect(wallTime('2026-03-29T03:00:00+02:00')).toBe('Sun 2026-03-29 03:00 +02:00')
    expect(wallTime('2026-01-01T00:00:20Z')).toBe('Thu 2026-01-01 00:00:20 +00:00')
    expect(wallTime('not a time')).toBe('not a time')
  })
})
