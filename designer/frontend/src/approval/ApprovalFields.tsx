/**
 * The inspector of an `approval` node (workflows/core/steps/approval.py): what the task says, who
 * decides, what the reviewer sees of the instance, the form they fill (with a preview of it), and
 * what happens when it is overdue. Plain fields use the schema's own widgets (SchemaField); the
 * lists of people, the context lines, the form and the escalation have editors of their own, each
 * showing the server's errors on the row or chip they are about.
 */
import { useEffect, useId, useRef, useState } from 'react'
import type { ApiFieldError } from '../api/types'
import { canonical, isPlainObject } from '../graph/json'
import type { Json, JsonSchema } from '../graph/types'
import { SchemaField, ExpressionInput, type FieldContext } from '../inspector/fields'
import { bare } from '../inspector/messages'
import { fieldTitle, isRequired } from '../schema/form'
import './approval.css'
import { FormFieldsEditor } from './FormFieldsEditor'
import { FormPreview } from './FormPreview'
import { NamesField } from './NamesField'
import { ESCALATIONS, OUTCOMES, contextProblems, contextRows, contextValue, escalationUses, fieldsOf, withAction, type ContextRow } from './formFields'
import { OUTCOME_WORDS, offeredOutcomes, toggleOutcome } from './outcomes'
import { useEditor } from '../state/store'

/** The keys this inspector lays out itself; any other key of the schema is drawn after them. */
const OWN = ['title', 'instructions', 'assignees', 'groups', 'quorum', 'rejections', 'allow_starter', 'outcomes', 'context', 'form', 'due_s', 'escalation']

/** Paths whose errors a field here shows (for the inspector's "said nowhere else" list). */
export const APPROVAL_SHOWN = ['config.context.*']

const under = (errors: readonly ApiFieldError[], path: string) => errors.filter((e) => e.field === path || (e.field ?? '').startsWith(`${path}.`))

export function ApprovalFields({ ctx, schema, main, nodeId }: { ctx: FieldContext; schema: JsonSchema; main: readonly string[]; nodeId: string }) {
  const props = schema.properties ?? {}
  const root = ctx.root
  const field = (k: string) => (props[k] ? <SchemaField key={k} ctx={ctx} path={[k]} schema={props[k]} parent={schema} /> : null)
  const people = (k: 'assignees' | 'groups', noun: string, placeholder: string) =>
    props[k] && (
      <NamesField
        path={`config.${k}`}
        title={fieldTitle(k, props[k])}
        help={props[k].description}
        value={root[k]}
        errors={under(ctx.errors, `config.${k}`)}
        placeholder={placeholder}
        noun={noun}
        max={props[k].maxItems}
        disabled={ctx.disabled}
        suggestFrom={k === 'assignees' ? 'users' : 'groups'}
        onChange={(v) => ctx.onChange([k], v)}
      />
    )
  const fieldCount = fieldsOf(root.form).length
  return (
    <div className="fd-approval" data-testid="approval-inspector">
      <h3 className="fd-approval-head">Task</h3>
      {field('title')}
      {field('instructions')}

      <h3 className="fd-approval-head">Who decides</h3>
      {people('assignees', 'assignee', 'usernames, e.g. alice, or {{ input.owner }}')}
      {people('groups', 'group', 'group names, e.g. managers')}
      <div className="fd-approval-pair">
        {field('quorum')}
        {field('rejections')}
      </div>
      {field('allow_starter')}
      {props.outcomes && <OutcomesField ctx={ctx} schema={props.outcomes} nodeId={nodeId} />}

      <h3 className="fd-approval-head">What the reviewer sees</h3>
      {props.context && <ContextField ctx={ctx} schema={props.context} />}

      <h3 className="fd-approval-head">
        Form <span className="fd-help-inline">{fieldCount ? `${fieldCount} field${fieldCount === 1 ? '' : 's'}, in this order` : ''}</span>
      </h3>
      {props.form && <FormFieldsEditor path="config.form" value={root.form} errors={under(ctx.errors, 'config.form')} disabled={ctx.disabled} onChange={(v) => ctx.onChange(['form'], v)} />}
      <details className="fd-preview-box" open data-testid="form-preview-box">
        <summary>Preview: what the reviewer sees</summary>
        <FormPreview config={root} />
      </details>

      <h3 className="fd-approval-head">Deadline</h3>
      {field('due_s')}
      {props.escalation && <EscalationField ctx={ctx} schema={props.escalation} parent={schema} />}

      {main.filter((k) => !OWN.includes(k)).map((k) => field(k))}
    </div>
  )
}

/** Label → {{ expression }} lines the reviewer reads at the top of the task. */
function ContextField({ ctx, schema }: { ctx: FieldContext; schema: JsonSchema }) {
  const path = 'config.context'
  const value = ctx.root.context
  const [rows, setRows] = useState<ContextRow[]>(() => contextRows(value))
  const lastSent = useRef(canonical(value ?? {}))
  useEffect(() => {
    if (canonical(value ?? {}) !== lastSent.current) {
      setRows(contextRows(value))
      lastSent.current = canonical(value ?? {})
    }
  }, [value])
  const update = (next: ContextRow[]) => {
    setRows(next)
    const v = contextValue(next)
    lastSent.current = canonical(v ?? {})
    ctx.onChange(['context'], v)
  }
  const problems = contextProblems(rows)
  const whole = ctx.errors.filter((e) => e.field === path)
  const max = typeof schema.maxProperties === 'number' ? schema.maxProperties : 30
  const labelId = useId()
  return (
    <div className={`fd-field ${whole.length ? 'has-error' : ''}`} data-field={path} data-testid={`field-${path}`}>
      <span className="fd-label" id={labelId}>
        {fieldTitle('context', schema)}
      </span>
      <div role="group" aria-labelledby={labelId} className="fd-context-rows">
        {rows.map(([label, expression], i) => {
          const own = label ? ctx.errors.filter((e) => e.field === `${path}.${label}`).map((e) => bare(e.message, e.field ?? path)) : []
          const problem = problems[i]
          return (
            <div key={i} className={`fd-context-row ${problem || own.length ? 'has-error' : ''}`} data-testid={`context-${i}`}>
              <input
                type="text"
                aria-label={`line ${i + 1} label`}
                placeholder="label, e.g. Amount"
                data-testid={`field-${path}.${i}.label`}
                value={label}
                maxLength={100}
                disabled={ctx.disabled}
                aria-invalid={!!problem}
                onChange={(e) => update(rows.map((r, j) => (j === i ? [e.target.value, r[1]] : r)))}
              />
              <div className="fd-context-value">
                <ExpressionInput
                  id={`${labelId}-${i}`}
                  testid={`${path}.${i}.value`}
                  value={expression === '' ? undefined : expression}
                  kind="template"
                  placeholder="{{ input.amount }}"
                  disabled={ctx.disabled}
                  said={own}
                  onChange={(v) => update(rows.map((r, j) => (j === i ? [r[0], typeof v === 'string' ? v : ''] : r)))}
                />
              </div>
              {!ctx.disabled && (
                <button type="button" className="fd-icon-btn" title="Remove" aria-label={`Remove line ${label || i + 1}`} onClick={() => update(rows.filter((_, j) => j !== i))}>
                  ×
                </button>
              )}
              {(problem || own.length > 0) && (
                <div className="fd-field-errors fd-context-error" role="alert" data-testid={`field-error-${path}.${i}`}>
                  {[problem, ...own].filter(Boolean).join('; ')}
                </div>
              )}
            </div>
          )
        })}
      </div>
      {rows.length === 0 && <div className="fd-help">{schema.description}</div>}
      {!ctx.disabled && rows.length < max && (
        <button type="button" className="fd-link-btn" data-testid={`add-${path}`} onClick={() => setRows([...rows, ['', '']])}>
          + Add line
        </button>
      )}
      {whole.length > 0 && (
        <div className="fd-field-errors" role="alert" data-testid={`field-error-${path}`}>
          {whole.map((e, i) => (
            <div key={i}>{bare(e.message, e.field ?? path)}</div>
          ))}
        </div>
      )}
    </div>
  )
}

const ACTION_WORDS: Record<string, string> = {
  '': 'Nothing: leave by the timeout port',
  reassign: 'Reassign to a group',
  notify: 'Send a reminder e-mail',
  decide: 'Decide automatically',
}

const ACTION_HELP: Record<string, string> = {
  '': 'When the task is overdue it is closed and the node leaves by its timeout port.',
  reassign: 'The task moves to the group (its members may claim it) and keeps waiting; the timeout port is not used.',
  notify: 'The people holding the task, and any addresses below, are e-mailed; the task keeps waiting.',
  decide: 'The task is closed with this decision and the node leaves by its port.',
}

/**
 * The decisions the task offers, one checkbox each (each one a port of the node). Unticking the
 * last one is refused, and said; a decision unticked while edges still leave its port says so (the
 * canvas draws that port as stray and validation names the edge).
 */
function OutcomesField({ ctx, schema, nodeId }: { ctx: FieldContext; schema: JsonSchema; nodeId: string }) {
  const path = 'config.outcomes'
  const offered = offeredOutcomes(ctx.root)
  const choices = (schema.items?.enum as string[] | undefined) ?? [...OUTCOMES]
  // the ports of this node's edges, one entry per edge (a string: the selector's answer compares by value)
  const ports = useEditor((s) => s.edges.filter((e) => e.source === nodeId).map((e) => e.sourceHandle ?? 'out').join('\u0000')).split('\u0000')
  const [said, setSaid] = useState('')
  const id = useId()
  const errors = under(ctx.errors, path)
  const toggle = (outcome: string, on: boolean) => {
    const next = toggleOutcome(ctx.root, outcome, on)
    if (!next) {
      setSaid('The task must offer at least one decision.')
      return
    }
    setSaid('')
    ctx.onChange(['outcomes'], next.value)
  }
  return (
    <fieldset className={`fd-field fd-outcomes ${errors.length ? 'has-error' : ''}`} data-field={path} data-testid={`field-${path}`} aria-describedby={`${id}-help`}>
      <legend className="fd-label">{fieldTitle('outcomes', schema)}</legend>
      <div className="fd-outcome-list">
        {choices.map((o) => {
          const on = offered.includes(o)
          const count = on ? 0 : ports.filter((p) => p === o).length
          const stray = count > 0
          return (
            <label key={o} className={`fd-outcome ${on ? 'is-on' : ''} ${stray ? 'is-stray' : ''}`} data-outcome={o}>
              <input
                type="checkbox"
                data-testid={`field-${path}.${o}`}
                checked={on}
                disabled={ctx.disabled}
                aria-describedby={stray ? `${id}-${o}-stray` : undefined}
                onChange={(e) => toggle(o, e.target.checked)}
              />
              <span className="fd-outcome-word">{OUTCOME_WORDS[o] ?? o}</span>
              <span className="fd-outcome-port">
                <code>{o}</code> port
              </span>
              {stray && (
                <span className="fd-outcome-stray" id={`${id}-${o}-stray`} data-testid={`outcome-stray-${o}`}>
                  ⚠ {count} connection{count === 1 ? '' : 's'} still leave{count === 1 ? 's' : ''} this port: reconnect or delete {count === 1 ? 'it' : 'them'}
                </span>
              )}
            </label>
          )
        })}
      </div>
      <div className="fd-help" id={`${id}-help`}>
        Each decision offered is a port of the node, beside timeout. At least one stays offered.
      </div>
      <div className="fd-field-errors" role="status" aria-live="polite" data-testid="outcomes-said" hidden={!said}>
        {said}
      </div>
      <Errors path={path} errors={errors} />
    </fieldset>
  )
}

/** When overdue: the action, then only the settings that action uses. */
function EscalationField({ ctx, schema, parent }: { ctx: FieldContext; schema: JsonSchema; parent: JsonSchema }) {
  const path = 'config.escalation'
  const value = ctx.root.escalation
  const esc = isPlainObject(value) ? value : {}
  const action = typeof esc.action === 'string' ? esc.action : ''
  const props = schema.properties ?? {}
  const id = useId()
  const errors = under(ctx.errors, path)
  const at = (key: string) => errors.filter((e) => e.field === `${path}.${key}` || (e.field ?? '').startsWith(`${path}.${key}.`))
  const whole = errors.filter((e) => e.field === path || e.field === `${path}.action`)
  const set = (key: string, v: Json | undefined) => {
    const next: { [k: string]: Json } = { ...esc, action }
    if (v === undefined || v === '') delete next[key]
    else next[key] = v
    ctx.onChange(['escalation'], next)
  }
  const actions = (props.action?.enum as string[] | undefined) ?? [...ESCALATIONS]
  // only the decisions the task offers; a chosen one no longer offered stays visible, marked, until changed
  const offered = offeredOutcomes(ctx.root)
  const chosen = typeof esc.outcome === 'string' ? esc.outcome : ''
  const outcomes = ((props.outcome?.enum as string[] | undefined) ?? [...OUTCOMES]).filter((o) => offered.includes(o) || o === chosen)
  return (
    <div className={`fd-field fd-escalation ${errors.length ? 'has-error' : ''}`} data-field={path} data-testid={`field-${path}`}>
      <label className="fd-label" htmlFor={`${id}-action`}>
        {fieldTitle('escalation', schema)}
        {isRequired(parent, 'escalation') && <span className="fd-required"> *</span>}
      </label>
      <select id={`${id}-action`} data-testid={`field-${path}.action`} value={action} disabled={ctx.disabled} onChange={(e) => ctx.onChange(['escalation'], withAction(value, e.target.value))}>
        <option value="">{ACTION_WORDS['']}</option>
        {actions.map((a) => (
          <option key={a} value={a}>
            {ACTION_WORDS[a] ?? a}
          </option>
        ))}
      </select>
      <div className="fd-help" data-testid="escalation-help">
        {ACTION_HELP[action] ?? ''}
      </div>
      <Errors path={path} errors={whole} />
      {action !== '' && (
        <div className="fd-escalation-body">
          {escalationUses(action, 'group') && (
            <div className={`fd-field ${at('group').length ? 'has-error' : ''}`} data-field={`${path}.group`}>
              <label className="fd-label" htmlFor={`${id}-group`}>
                {props.group?.title ?? 'Reassign to group'}
                <span className="fd-required"> *</span>
              </label>
              <input id={`${id}-group`} type="text" data-testid={`field-${path}.group`} value={typeof esc.group === 'string' ? esc.group : ''} maxLength={150} placeholder="e.g. managers" disabled={ctx.disabled} aria-invalid={at('group').length > 0} onChange={(e) => set('group', e.target.value)} />
              <Errors path={`${path}.group`} errors={at('group')} />
            </div>
          )}
          {escalationUses(action, 'to') && (
            <NamesField
              path={`${path}.to`}
              title={action === 'notify' ? 'Also e-mail' : props.to?.title ?? 'Also notify'}
              help="addresses, user:NAME or group:NAME; the task's holders are told anyway"
              value={esc.to}
              errors={at('to')}
              placeholder="e.g. ops@example.com"
              noun="recipient"
              max={props.to?.maxItems}
              disabled={ctx.disabled}
              suggestFrom="recipients"
              onChange={(v) => set('to', v)}
            />
          )}
          {escalationUses(action, 'outcome') && (
            <div className={`fd-field ${at('outcome').length ? 'has-error' : ''}`} data-field={`${path}.outcome`}>
              <label className="fd-label" htmlFor={`${id}-outcome`}>
                {props.outcome?.title ?? 'Decide'}
                <span className="fd-required"> *</span>
              </label>
              <select id={`${id}-outcome`} data-testid={`field-${path}.outcome`} value={chosen} disabled={ctx.disabled} onChange={(e) => set('outcome', e.target.value)}>
                <option value="">—</option>
                {outcomes.map((o) => (
                  <option key={o} value={o}>
                    {OUTCOME_WORDS[o] ?? o}
                    {offered.includes(o) ? '' : ' (not offered)'}
                  </option>
                ))}
              </select>
              <Errors path={`${path}.outcome`} errors={at('outcome')} />
            </div>
          )}
        </div>
      )}
    </div>
  )
}

function Errors({ path, errors }: { path: string; errors: readonly ApiFieldError[] }) {
  if (errors.length === 0) return null
  return (
    <div className="fd-field-errors" role="alert" data-testid={`field-error-${path}`}>
      {errors.map((e, i) => (
        <div key={i}>{bare(e.message, e.field ?? path)}</div>
      ))}
    </div>
  )
}
