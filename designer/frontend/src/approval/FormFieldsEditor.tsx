/**
 * The approval's form (`config.form`): one card per field the reviewer fills, in the order the
 * reviewer sees them. Every control is a button or an input, so the whole editor works from the
 * keyboard: a moved field keeps the focus on its arrow, a deleted one hands it to its neighbour,
 * and a polite live region says where the field went.
 */
import { useEffect, useId, useRef, useState } from 'react'
import type { ApiFieldError } from '../api/types'
import type { Json } from '../graph/types'
import { parseNumber } from '../schema/form'
import {
  FIELD_TYPES,
  MAX_CHOICES,
  MAX_FIELDS,
  TYPE_LABELS,
  addField,
  boundsNoun,
  defaultProblem,
  defaultText,
  errorsByRow,
  fieldsOf,
  formValue,
  hasBounds,
  messagesOf,
  moveField,
  nameProblems,
  parseDefault,
  relabel,
  withDefault,
  removeAt,
  retype,
  rowMessageCount,
  shownLabel,
  type FormField,
  type RowErrors,
} from './formFields'

interface Props {
  path: string
  value: Json | undefined
  errors: readonly ApiFieldError[]
  disabled: boolean
  onChange(next: Json | undefined): void
}

let keySeq = 0
const newKey = () => `f${++keySeq}`

export function FormFieldsEditor({ path, value, errors, disabled, onChange }: Props) {
  const fields = fieldsOf(value)
  // stable keys for the cards, so a moved card keeps its DOM (and its open state) as it moves
  const [keys, setKeys] = useState<string[]>(() => fields.map(newKey))
  const [open, setOpen] = useState<Set<string>>(() => new Set(fields.length <= 2 ? keys : []))
  const [said, setSaid] = useState('')
  const focusNext = useRef<{ key: string; part: string } | null>(null)
  const root = useRef<HTMLDivElement>(null)
  const liveKeys = keys.length === fields.length ? keys : syncKeys(keys, fields.length)
  useEffect(() => {
    if (liveKeys !== keys) setKeys(liveKeys) // changed elsewhere (undo): as many cards as fields
  }, [liveKeys, keys])
  useEffect(() => {
    const want = focusNext.current
    if (!want) return
    focusNext.current = null
    const card = root.current?.querySelector<HTMLElement>(`[data-key="${want.key}"]`)
    const target = card?.querySelector<HTMLElement>(`[data-part="${want.part}"]:not(:disabled)`) ?? card?.querySelector<HTMLElement>('[data-part="toggle"]')
    target?.focus()
  })

  const { rows, whole } = errorsByRow(errors, path)
  const problems = nameProblems(fields)
  // a card with a new problem opens, so the problem is seen where it is (and may be folded again)
  const errorKey = errors.map((e) => `${e.field}\u0000${e.message}`).join('\n')
  useEffect(() => {
    const bad = liveKeys.filter((k, i) => rowMessageCount(rows.get(i)) > 0 && !open.has(k))
    if (bad.length) setOpen(new Set([...open, ...bad]))
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [errorKey])

  const commit = (next: FormField[], nextKeys: string[]) => {
    setKeys(nextKeys)
    onChange(formValue(next))
  }
  const update = (i: number, field: FormField) => commit(fields.map((f, j) => (j === i ? field : f)), liveKeys)
  const move = (i: number, by: number) => {
    const next = moveField(fields, i, by)
    const nextKeys = moveField(liveKeys, i, by)
    const to = i + by
    focusNext.current = { key: liveKeys[i], part: by < 0 ? (to === 0 ? 'down' : 'up') : to === fields.length - 1 ? 'up' : 'down' }
    setSaid(`${shownLabel(fields[i])} moved to position ${to + 1} of ${fields.length}`)
    commit(next, nextKeys)
  }
  const remove = (i: number) => {
    const neighbour = liveKeys[i + 1] ?? liveKeys[i - 1]
    focusNext.current = neighbour ? { key: neighbour, part: 'toggle' } : null
    setSaid(`${shownLabel(fields[i])} deleted`)
    commit(removeAt(fields, i), removeAt(liveKeys, i))
    if (!neighbour) window.setTimeout(() => root.current?.querySelector<HTMLElement>('[data-part="add"]')?.focus())
  }
  const add = () => {
    const key = newKey()
    setOpen(new Set([...open, key]))
    focusNext.current = { key, part: 'label' }
    commit(addField(fields), [...liveKeys, key])
  }
  const toggle = (key: string) => {
    const next = new Set(open)
    if (next.has(key)) next.delete(key)
    else next.add(key)
    setOpen(next)
  }

  return (
    <div className="fd-form-fields" ref={root} data-testid={`field-${path}`} data-field={path}>
      {fields.length === 0 && <div className="fd-help fd-form-empty">No fields: the reviewer only decides, with a comment. Add the values the decision must carry (an amount, a reason…).</div>}
      <ol className="fd-ff-list">
        {fields.map((field, i) => (
          <FieldCard
            key={liveKeys[i]}
            cardKey={liveKeys[i]}
            index={i}
            count={fields.length}
            path={path}
            field={field}
            errors={rows.get(i)}
            nameProblem={problems[i]}
            open={open.has(liveKeys[i])}
            disabled={disabled}
            onToggle={() => toggle(liveKeys[i])}
            onChange={(f) => update(i, f)}
            onRelabel={(label) => update(i, relabel(field, label, fields))}
            onMove={(by) => move(i, by)}
            onRemove={() => remove(i)}
          />
        ))}
      </ol>
      {!disabled && fields.length < MAX_FIELDS && (
        <button type="button" className="fd-btn small fd-ff-add" data-part="add" data-testid={`add-${path}`} onClick={add}>
          + Add field
        </button>
      )}
      <div className="fd-visually-hidden" aria-live="polite" data-testid="form-fields-said">
        {said}
      </div>
      {whole.length > 0 && (
        <div className="fd-field-errors" role="alert" data-testid={`field-error-${path}`}>
          {whole.map((m, i) => (
            <div key={i}>{m}</div>
          ))}
        </div>
      )}
    </div>
  )
}

/** Keys for `n` cards: the ones there are, cut or extended with new ones. */
function syncKeys(keys: readonly string[], n: number): string[] {
  const out = keys.slice(0, n)
  while (out.length < n) out.push(newKey())
  return out
}

interface CardProps {
  cardKey: string
  index: number
  count: number
  path: string
  field: FormField
  errors: RowErrors | undefined
  nameProblem: string | null
  open: boolean
  disabled: boolean
  onToggle(): void
  onChange(field: FormField): void
  onRelabel(label: string): void
  onMove(by: number): void
  onRemove(): void
}

function FieldCard({ cardKey, index, count, path, field, errors, nameProblem, open, disabled, onToggle, onChange, onRelabel, onMove, onRemove }: CardProps) {
  const base = `${path}.${index}`
  const tid = `form-field-${index}`
  const ids = useId()
  const label = shownLabel(field)
  const known = (FIELD_TYPES as readonly string[]).includes(field.type)
  const serverName = messagesOf(errors, 'name')
  const nameMessages = serverName.length ? serverName : nameProblem ? [nameProblem] : []
  const problems = rowMessageCount(errors) + (serverName.length ? 0 : nameProblem ? 1 : 0) + (defaultProblem(field) ? 1 : 0)
  const set = (key: keyof FormField & string, v: Json | undefined) => {
    const next: FormField = { ...field }
    if (v === undefined || v === '' || v === false) delete next[key]
    else next[key] = v
    onChange(next)
  }
  return (
    <li className={`fd-ff ${problems ? 'has-error' : ''} ${open ? 'is-open' : ''}`} data-key={cardKey} data-testid={tid} data-name={field.name} data-type={field.type}>
      <div className="fd-ff-head">
        <button
          type="button"
          className="fd-ff-toggle"
          data-part="toggle"
          data-testid={`${tid}-toggle`}
          aria-expanded={open}
          aria-controls={`${ids}-body`}
          onClick={onToggle}
        >
          <span className="fd-ff-caret" aria-hidden="true">
            {open ? '▾' : '▸'}
          </span>
          <span className="fd-ff-num">{index + 1}</span>
          <span className="fd-ff-title">
            <span className="fd-ff-label">
              {label}
              {field.required && (
                <span className="fd-required" title="required to approve">
                  {' '}
                  *
                </span>
              )}
            </span>
            <span className="fd-ff-meta">
              <code>{field.name || '—'}</code> · {known ? TYPE_LABELS[field.type as keyof typeof TYPE_LABELS] : `${field.type} (unknown)`}
              {field.type === 'choice' && ` · ${(field.choices ?? []).length} choice${(field.choices ?? []).length === 1 ? '' : 's'}`}
              {field.default !== undefined && ' · prefilled'}
            </span>
          </span>
          {problems > 0 && (
            <span className="fd-ff-badge" aria-label={`${problems} problem${problems === 1 ? '' : 's'}`}>
              {problems}
            </span>
          )}
        </button>
        {!disabled && (
          <span className="fd-ff-actions">
            <button type="button" className="fd-icon-btn" data-part="up" data-testid={`${tid}-up`} title="Move up" aria-label={`Move field ${label} up`} disabled={index === 0} onClick={() => onMove(-1)}>
              ↑
            </button>
            <button type="button" className="fd-icon-btn" data-part="down" data-testid={`${tid}-down`} title="Move down" aria-label={`Move field ${label} down`} disabled={index === count - 1} onClick={() => onMove(1)}>
              ↓
            </button>
            <button type="button" className="fd-icon-btn danger" data-part="delete" data-testid={`${tid}-delete`} title="Delete field" aria-label={`Delete field ${label}`} onClick={onRemove}>
              ×
            </button>
          </span>
        )}
      </div>
      {open && (
        <div className="fd-ff-body" id={`${ids}-body`}>
          <div className="fd-ff-grid">
            <div className={`fd-ff-cell ${messagesOf(errors, 'type').length ? 'has-error' : ''}`}>
              <label className="fd-label" htmlFor={`${ids}-type`}>
                Type
              </label>
              <select id={`${ids}-type`} data-part="type" data-testid={`${tid}-type`} value={field.type} disabled={disabled} onChange={(e) => onChange(retype(field, e.target.value))}>
                {!known && <option value={field.type}>{`${field.type} (not a type)`}</option>}
                {FIELD_TYPES.map((t) => (
                  <option key={t} value={t}>
                    {TYPE_LABELS[t]}
                  </option>
                ))}
              </select>
              <Messages path={`${base}.type`} messages={messagesOf(errors, 'type')} />
            </div>
            <div className={`fd-ff-cell ${nameMessages.length ? 'has-error' : ''}`}>
              <label className="fd-label" htmlFor={`${ids}-name`}>
                Name <span className="fd-help-inline">in the output</span>
              </label>
              <input
                id={`${ids}-name`}
                type="text"
                className="fd-mono"
                data-part="name"
                data-testid={`${tid}-name`}
                value={field.name}
                maxLength={50}
                spellCheck={false}
                disabled={disabled}
                aria-invalid={nameMessages.length > 0}
                onChange={(e) => onChange({ ...field, name: e.target.value })}
              />
              <Messages path={`${base}.name`} messages={nameMessages} />
            </div>
          </div>
          <div className={`fd-ff-cell ${messagesOf(errors, 'label').length ? 'has-error' : ''}`}>
            <label className="fd-label" htmlFor={`${ids}-label`}>
              Label
            </label>
            <input
              id={`${ids}-label`}
              type="text"
              data-part="label"
              data-testid={`${tid}-label`}
              value={field.label ?? ''}
              maxLength={200}
              placeholder={shownLabel({ ...field, label: undefined })}
              disabled={disabled}
              onChange={(e) => onRelabel(e.target.value)}
            />
            <Messages path={`${base}.label`} messages={messagesOf(errors, 'label')} />
          </div>
          <div className={`fd-ff-cell ${messagesOf(errors, 'help').length ? 'has-error' : ''}`}>
            <label className="fd-label" htmlFor={`${ids}-help`}>
              Help text
            </label>
            <input
              id={`${ids}-help`}
              type="text"
              data-part="help"
              data-testid={`${tid}-help`}
              value={field.help ?? ''}
              maxLength={500}
              placeholder="shown under the field"
              disabled={disabled}
              onChange={(e) => set('help', e.target.value)}
            />
            <Messages path={`${base}.help`} messages={messagesOf(errors, 'help')} />
          </div>
          <DefaultInput tid={`${tid}-default`} path={`${base}.default`} field={field} messages={messagesOf(errors, 'default')} disabled={disabled} onChange={(v) => onChange(withDefault(field, v))} />
          <label className="fd-check-row fd-ff-required">
            <input type="checkbox" data-part="required" data-testid={`${tid}-required`} checked={field.required === true} disabled={disabled} onChange={(e) => set('required', e.target.checked)} />
            <span>Required to approve</span>
          </label>
          <Messages path={`${base}.required`} messages={messagesOf(errors, 'required')} />
          {(hasBounds(field.type) || field.min !== undefined || field.max !== undefined) && (
            <div className="fd-ff-grid">
              <BoundInput label={`Min ${boundsNoun(field.type)}`} tid={`${tid}-min`} path={`${base}.min`} value={field.min} messages={messagesOf(errors, 'min')} integer={field.type !== 'number'} disabled={disabled} onChange={(v) => set('min', v)} />
              <BoundInput label={`Max ${boundsNoun(field.type)}`} tid={`${tid}-max`} path={`${base}.max`} value={field.max} messages={messagesOf(errors, 'max')} integer={field.type !== 'number'} disabled={disabled} onChange={(v) => set('max', v)} />
            </div>
          )}
          {(field.type === 'choice' || field.choices !== undefined) && (
            <ChoicesEditor
              tid={tid}
              path={`${base}.choices`}
              label={label}
              choices={Array.isArray(field.choices) ? field.choices.map(String) : []}
              errors={errors}
              disabled={disabled}
              onChange={(choices) => onChange({ ...field, choices })}
            />
          )}
          <Messages path={base} messages={messagesOf(errors, '')} />
        </div>
      )}
    </li>
  )
}

function Messages({ path, messages }: { path: string; messages: readonly string[] }) {
  if (messages.length === 0) return null
  return (
    <div className="fd-field-errors" role="alert" data-testid={`field-error-${path}`}>
      {messages.map((m, i) => (
        <div key={i}>{m}</div>
      ))}
    </div>
  )
}

const DEFAULT_HINTS: Record<string, string> = {
  number: 'e.g. 100',
  boolean: 'true or false',
  date: 'e.g. 2026-01-31',
  choice: 'one of the choices',
}

/**
 * The value the field starts with: typed as text, written as its type reads it (a number field's
 * "12" is 12, a yes/no field's "true" is true); a {{ expression }} is filled in when the task opens.
 */
function DefaultInput({ tid, path, field, messages, disabled, onChange }: { tid: string; path: string; field: FormField; messages: string[]; disabled: boolean; onChange(v: FormField['default']): void }) {
  const id = useId()
  const [text, setText] = useState(() => defaultText(field.default))
  useEffect(() => {
    // changed elsewhere (undo, a retype): show the value, unless the text already means it
    if (parseDefault(text, field.type) !== field.default) setText(defaultText(field.default))
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [field.default])
  const problem = defaultProblem(field)
  const said = [...(problem ? [problem] : []), ...messages]
  return (
    <div className={`fd-ff-cell ${said.length ? 'has-error' : ''}`}>
      <label className="fd-label" htmlFor={id}>
        Default <span className="fd-help-inline">a value or {'{{ expression }}'}</span>
      </label>
      <input
        id={id}
        type="text"
        className={/\{\{/.test(text) ? 'fd-mono' : undefined}
        data-part="default"
        data-testid={tid}
        value={text}
        maxLength={1000}
        spellCheck={false}
        placeholder={`prefilled for the reviewer; ${DEFAULT_HINTS[field.type] ?? 'e.g. {{ input.reason }}'}`}
        disabled={disabled}
        aria-invalid={said.length > 0}
        aria-describedby={said.length ? `${id}-said` : undefined}
        onChange={(e) => {
          setText(e.target.value)
          onChange(parseDefault(e.target.value, field.type))
        }}
      />
      {said.length > 0 && (
        <div className="fd-field-errors" id={`${id}-said`} data-testid={`field-error-${path}`}>
          {said.map((m, i) => (
            <div key={i}>{m}</div>
          ))}
        </div>
      )}
    </div>
  )
}

function BoundInput({ label, tid, path, value, messages, integer, disabled, onChange }: { label: string; tid: string; path: string; value: Json | undefined; messages: string[]; integer: boolean; disabled: boolean; onChange(v: number | undefined): void }) {
  const id = useId()
  const [text, setText] = useState(typeof value === 'number' ? String(value) : '')
  useEffect(() => {
    const p = parseNumber(text, integer)
    if (p.error !== undefined || p.value !== value) setText(typeof value === 'number' ? String(value) : '')
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [value])
  const parsed = parseNumber(text, integer)
  return (
    <div className={`fd-ff-cell ${messages.length || parsed.error ? 'has-error' : ''}`}>
      <label className="fd-label" htmlFor={id}>
        {label}
      </label>
      <input
        id={id}
        type="text"
        inputMode="decimal"
        data-testid={tid}
        value={text}
        disabled={disabled}
        aria-invalid={!!parsed.error || messages.length > 0}
        onChange={(e) => {
          setText(e.target.value)
          const p = parseNumber(e.target.value, integer)
          if (p.error === undefined) onChange(p.value)
        }}
      />
      {parsed.error && <div className="fd-field-errors">{parsed.error}</div>}
      <Messages path={path} messages={messages} />
    </div>
  )
}

function ChoicesEditor({ tid, path, label, choices, errors, disabled, onChange }: { tid: string; path: string; label: string; choices: string[]; errors: RowErrors | undefined; disabled: boolean; onChange(choices: string[]): void }) {
  const list = useRef<HTMLDivElement>(null)
  const focusAt = useRef<{ index: number; part: string } | null>(null)
  const groupId = useId()
  useEffect(() => {
    const want = focusAt.current
    if (!want) return
    focusAt.current = null
    const el = list.current?.querySelector<HTMLElement>(`[data-testid="${tid}-choice-${want.index}${want.part ? `-${want.part}` : ''}"]`)
    if (el && !(el as HTMLButtonElement).disabled) el.focus()
    else list.current?.querySelector<HTMLElement>(`[data-testid="${tid}-choice-${want.index}"]`)?.focus()
  })
  const whole = messagesOf(errors, 'choices')
  const seen = new Map<string, number>()
  choices.forEach((c) => seen.set(c, (seen.get(c) ?? 0) + 1))
  const insertAfter = (i: number) => {
    focusAt.current = { index: i + 1, part: '' }
    onChange([...choices.slice(0, i + 1), '', ...choices.slice(i + 1)])
  }
  const move = (i: number, by: number) => {
    const to = i + by
    focusAt.current = { index: to, part: by < 0 ? (to === 0 ? 'down' : 'up') : to === choices.length - 1 ? 'up' : 'down' }
    onChange(moveField(choices, i, by))
  }
  return (
    <div className={`fd-ff-cell fd-ff-choices ${whole.length ? 'has-error' : ''}`} ref={list}>
      <span className="fd-label" id={groupId}>
        Choices <span className="fd-help-inline">in this order; Enter adds the next</span>
      </span>
      <div role="group" aria-labelledby={groupId} data-testid={`${tid}-choices`}>
        {choices.map((c, i) => {
          const own = errors?.get(`choices.${i}`) ?? []
          const twice = c !== '' && (seen.get(c) ?? 0) > 1
          return (
            <div key={i} className="fd-list-row">
              <input
                type="text"
                data-testid={`${tid}-choice-${i}`}
                aria-label={`Choice ${i + 1} of ${label}`}
                value={c}
                maxLength={200}
                disabled={disabled}
                aria-invalid={own.length > 0 || twice}
                onChange={(e) => onChange(choices.map((x, j) => (j === i ? e.target.value : x)))}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' && !disabled && choices.length < MAX_CHOICES) {
                    e.preventDefault()
                    insertAfter(i)
                  }
                }}
              />
              {!disabled && (
                <>
                  <button type="button" className="fd-icon-btn" data-testid={`${tid}-choice-${i}-up`} title="Move up" aria-label={`Move choice ${c || i + 1} up`} disabled={i === 0} onClick={() => move(i, -1)}>
                    ↑
                  </button>
                  <button type="button" className="fd-icon-btn" data-testid={`${tid}-choice-${i}-down`} title="Move down" aria-label={`Move choice ${c || i + 1} down`} disabled={i === choices.length - 1} onClick={() => move(i, 1)}>
                    ↓
                  </button>
                  <button
                    type="button"
                    className="fd-icon-btn"
                    data-testid={`${tid}-choice-${i}-remove`}
                    title="Remove"
                    aria-label={`Remove choice ${c || i + 1}`}
                    onClick={() => {
                      focusAt.current = choices.length > 1 ? { index: Math.min(i, choices.length - 2), part: '' } : null
                      onChange(choices.filter((_, j) => j !== i))
                    }}
                  >
                    ×
                  </button>
                </>
              )}
              {(own.length > 0 || twice) && (
                <div className="fd-field-errors fd-ff-choice-error" role="alert" data-testid={`field-error-${path}.${i}`}>
                  {twice && own.length === 0 ? 'this choice appears twice' : own.join('; ')}
                </div>
              )}
            </div>
          )
        })}
      </div>
      {choices.length === 0 && <div className="fd-help">No choices yet: the reviewer picks one of them.</div>}
      {!disabled && choices.length < MAX_CHOICES && (
        <button
          type="button"
          className="fd-link-btn"
          data-testid={`${tid}-add-choice`}
          onClick={() => {
            focusAt.current = { index: choices.length, part: '' }
            onChange([...choices, ''])
          }}
        >
          + Add choice
        </button>
      )}
      <Messages path={path} messages={whole} />
    </div>
  )
}
