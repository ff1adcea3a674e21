/**
 * A step's compensation (saga): the same handler picker as the step's own handler, and an "own
 * retry policy" switch that turns the value into `{handler, retry}` and shows the policy editor.
 * The server's errors land where they belong: on the handler (`config.compensate.handler`, or the
 * name itself), on a policy field, or on the whole.
 */
import { useId, useRef } from 'react'
import type { Json, JsonSchema } from '../graph/types'
import { compensateObject, errorsForField, getAt } from '../schema/form'
import { compensationHandler, ownsRetry, withHandler, withOwnRetry } from '../schema/compensate'
import { useEditor } from '../state/store'
import { HandlerPicker } from './HandlerPicker'
import { bare, compensationMessage, plainest } from './messages'
import { ObjectField, type FieldContext } from './fields'

export function CompensateField({ ctx, path, schema, title }: { ctx: FieldContext; path: string[]; schema: JsonSchema; title: string }) {
  const full = `${ctx.base}.${path.join('.')}`
  const value = getAt(ctx.root, path) as Json | undefined
  const handler = compensationHandler(value)
  const own = ownsRetry(value)
  const id = useId()
  const sagaOn = useEditor((s) => s.settings.on_failure === 'compensate')
  // a policy switched off is given back when it is switched on again (while this step stays selected)
  const kept = useRef<{ [key: string]: Json } | undefined>(undefined)
  const set = (v: Json | undefined) => ctx.onChange(path, v)
  const retrySchema = compensateObject(schema)?.properties?.retry
  // errors on the value itself or on its handler go under the picker; the policy's own under its fields
  const mine = plainest([...errorsForField(ctx.errors, full), ...errorsForField(ctx.errors, `${full}.handler`)])
  const policyErrors = errorsForField(ctx.errors, `${full}.retry`)
  const toggle = (on: boolean) => {
    if (!on && own) kept.current = (value as { retry?: { [key: string]: Json } }).retry
    set(withOwnRetry(value, on, kept.current))
  }
  return (
    <div className={`fd-field fd-compensate ${mine.length ? 'has-error' : ''}`} data-field={full} data-testid={`compensate-${full}`}>
      <label className="fd-label" htmlFor={id}>
        {title}
      </label>
      <HandlerPicker id={id} testid={full} value={handler || undefined} handlers={ctx.handlers} disabled={ctx.disabled} optional onChange={(name) => set(withHandler(value, typeof name === 'string' ? name : undefined))} />
      {/* what the field is for, until a handler is chosen: then the handler's own description says what it does */}
      {schema.description && !handler && <div className="fd-help">{schema.description}</div>}
      {mine.length > 0 && (
        <div className="fd-field-errors" data-testid={`field-error-${full}`} role="alert">
          {mine.map((e, i) => (
            <div key={i}>{compensationMessage(bare(e.message, e.field ?? full))}</div>
          ))}
        </div>
      )}
      {handler && !sagaOn && (
        <div className="fd-hint" data-testid={`hint-${full}`}>
          Runs only when the workflow's <b>On failure</b> is <b>Undo completed steps (saga)</b> (Workflow settings).
        </div>
      )}
      {handler && retrySchema && (
        <label className="fd-check-row fd-compensate-own">
          <input type="checkbox" checked={own} disabled={ctx.disabled} onChange={(e) => toggle(e.target.checked)} data-testid={`toggle-${full}.retry`} />
          <span>Own retry policy</span>
          {!own && <span className="fd-help-inline">off: the step's retry policy applies</span>}
        </label>
      )}
      {own && retrySchema && (
        <ObjectField ctx={ctx} path={[...path, 'retry']} schema={retrySchema} required title="Retry policy of the compensation" errors={policyErrors} />
      )}
    </div>
  )
}
