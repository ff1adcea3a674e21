/** Form widgets generated from JSON Schema, for node config and workflow settings. */
import { useEffect, useId, useRef, useState } from 'react'
import type { ApiFieldError, Handler } from '../api/types'
import { canonical, isPlainObject, objectOf, pretty } from '../graph/json'
import type { Json, JsonSchema } from '../graph/types'
import {
  errorsForField,
  fieldKind,
  fieldTitle,
  getAt,
  hasTemplate,
  isRequired,
  listItemNoun,
  listPlaceholder,
  mapAllowsNonString,
  mapValueText,
  numberProblem,
  parseJsonText,
  parseListItem,
  parseMapValue,
  parseNumber,
} from '../schema/form'
import { checkExpression, type CheckResult } from './expressionCheck'
import { isDynamic } from './childTemplates'
import { keyOfWidget, pinErrors, pinState, workflowChanges } from './childVersions'
import { HandlerInputFields, HandlerPicker } from './HandlerPicker'
import { AllowedWorkflows, TemplatePicker } from './TemplatePicker'
import { VersionPicker } from './VersionPicker'
import { bare, liveVerdict, plainest, standing } from './messages'
import { CompensateField } from './CompensateField'
import { QueriesField } from './QueriesField'
import { useEditor } from '../state/store'
import { formatSeconds } from '../canvas/look'

export interface FieldContext {
  /** "config" or "settings": the prefix of server error paths. */
  base: string
  root: { [key: string]: Json }
  errors: readonly ApiFieldError[]
  handlers: readonly Handler[]
  disabled: boolean
  /** The config key whose list names ports (switch cases): renaming an item moves its edges. */
  portSource?: string | null
  onChange(path: string[], value: Json | undefined, renamePort?: [string, string]): void
  /** Several values as one change (switching between a choice's options); node config only. */
  onChangeMany?(changes: [string[], Json | undefined][]): void
}

/** Checks an expression or a template with the server ~300 ms after typing stops. */
export function useExpressionCheck(text: string, kind: 'expression' | 'template', enabled: boolean): CheckResult | null {
  const [result, setResult] = useState<CheckResult | null>(null)
  useEffect(() => {
    if (!enabled || !text.trim()) {
      setResult(null)
      return
    }
    const controller = new AbortController()
    const timer = window.setTimeout(() => {
      checkExpression(text, kind, controller.signal).then((r) => {
        if (!controller.signal.aborted) setResult(r)
      }, () => undefined)
    }, 300)
    return () => {
      controller.abort()
      window.clearTimeout(timer)
    }
  }, [text, kind, enabled])
  return result
}

function CheckMessage({ result, testid }: { result: CheckResult | null; testid: string }) {
  if (!result) return null
  if (result.valid) return <div className="fd-check ok" data-testid={`check-${testid}`}>✓ looks right</div>
  return (
    <div className="fd-check bad" role="alert" data-testid={`check-${testid}`}>
      {result.message ?? 'not a valid expression'}
    </div>
  )
}


export function FieldErrors({ errors, local, path }: { errors: ApiFieldError[]; local?: string | null; path: string }) {
  if (!local && errors.length === 0) return null
  return (
    <div className="fd-field-errors" data-testid={`field-error-${path}`} role="alert">
      {local && <div>{local}</div>}
      {errors.map((e, i) => (
        <div key={i}>{bare(e.message, e.field ?? path)}</div>
      ))}
    </div>
  )
}

/** One property of an object schema, with its label, help, widget and errors. */
export function SchemaField({ ctx, path, schema, parent }: { ctx: FieldContext; path: string[]; schema: JsonSchema; parent: JsonSchema }) {
  const key = path[path.length - 1]
  const full = `${ctx.base}.${path.join('.')}`
  const kind = fieldKind(schema)
  const value = getAt(ctx.root, path) as Json | undefined
  const required = isRequired(parent, key)
  // the Version's workflow, and its published versions once loaded (the picker judges a pin against them)
  const workflowKey = kind === 'template-version' ? keyOfWidget(parent, 'template') : undefined
  const workflow = workflowKey ? (getAt(ctx.root, [...path.slice(0, -1), workflowKey]) as Json | undefined) : undefined
  const versions = useEditor((s) => (typeof workflow === 'string' ? s.childVersions[workflow] : undefined))
  const found = plainest(standing(errorsForField(ctx.errors, full), full, value))
  const errors = kind === 'template-version' ? pinErrors(found, pinState(workflow, value, versions)) : found
  const said = errors.map((e) => bare(e.message, e.field ?? full))
  const id = useId()
  const title = fieldTitle(key, schema)
  const set = (v: Json | undefined, rename?: [string, string]) => ctx.onChange(path, v, rename)
  // another child workflow drops the version pinned beside it (a version of the one before), in the same change
  const setWorkflow = (v: string | undefined) => {
    const changes = path.length === 1 ? workflowChanges(parent, ctx.root, key, v) : []
    if (changes.length > 1 && ctx.onChangeMany) ctx.onChangeMany(changes)
    else set(v)
  }

  if (kind === 'object') return <ObjectField ctx={ctx} path={path} schema={schema} required={required} title={title} errors={errors} />
  if (kind === 'compensate') return <CompensateField ctx={ctx} path={path} schema={schema} title={title} />
  if (kind === 'expression-map') return <QueriesField ctx={ctx} path={path} schema={schema} title={title} />
  // a list of names an expression may choose: shown once a name is an expression (or the list has some)
  if (kind === 'templates' && value === undefined && errors.length === 0 && !choosesByExpression(parent, ctx.root)) return null

  let widget: React.ReactNode
  let local: string | null = null
  switch (kind) {
    case 'handler':
      widget = (
        <>
          <HandlerPicker id={id} testid={full} value={value} handlers={ctx.handlers} disabled={ctx.disabled} optional={!required} onChange={set} />
          {/* what the step's own handler reads, next to the Input that maps it (not a compensation handler's) */}
          {path.length === 1 && key === 'handler' && <HandlerInputFields handler={ctx.handlers.find((h) => h.name === value)} mapping={ctx.root.input} />}
        </>
      )
      break
    case 'template':
      widget = (
        <>
          <TemplatePicker id={id} testid={full} value={value} disabled={ctx.disabled} expression onChange={(v) => setWorkflow(v)} />
          {isDynamic(value) && (
            <div className={`fd-hint ${hasItems(ctx.root.allowed_workflows) ? '' : 'warn'}`} data-testid={`hint-${full}`}>
              An expression chooses the workflow when the step runs: list every name it may give in <b>Allowed workflows</b> (required).
            </div>
          )}
        </>
      )
      break
    case 'template-version':
      widget = <VersionPicker id={id} testid={full} value={value} workflow={workflow} disabled={ctx.disabled} onChange={set} />
      break
    case 'templates':
      widget = <AllowedWorkflows testid={full} value={value} disabled={ctx.disabled} maxItems={schema.maxItems} onChange={set} />
      break
    case 'enum': {
      const options = schema.enum ?? []
      const word = (o: Json | undefined) => enumLabel(schema, o)
      widget = (
        <select
          id={id}
          data-testid={`field-${full}`}
          value={value === undefined ? '' : JSON.stringify(value)}
          disabled={ctx.disabled}
          onChange={(e) => set(e.target.value === '' ? undefined : (JSON.parse(e.target.value) as Json))}
        >
          {(!required || value === undefined) && <option value="">{schema.default !== undefined ? `default (${word(schema.default)})` : '—'}</option>}
          {/* a value the list lacks (a graph written by hand) is shown as it is, not as the default */}
          {value !== undefined && !options.some((o) => JSON.stringify(o) === JSON.stringify(value)) && <option value={JSON.stringify(value)}>{`${String(value)} (not a choice)`}</option>}
          {options.map((o) => (
            <option key={JSON.stringify(o)} value={JSON.stringify(o)}>
              {word(o)}
            </option>
          ))}
        </select>
      )
      break
    }
    case 'boolean':
      widget = (
        <label className="fd-check-row">
          <input
            id={id}
            type="checkbox"
            data-testid={`field-${full}`}
            checked={value === undefined ? schema.default === true : value === true}
            disabled={ctx.disabled}
            onChange={(e) => set(e.target.checked)}
          />
          <span>{value === undefined && schema.default !== undefined ? `${schema.default ? 'yes' : 'no'} (default)` : value ? 'yes' : (OFF_WORDS[key] ?? 'no')}</span>
        </label>
      )
      break
    case 'integer':
    case 'number':
      widget = (
        <NumberInput id={id} testid={full} value={value} schema={schema} integer={kind === 'integer'} disabled={ctx.disabled} onChange={set} quiet={errors.length > 0}>
          {/* seconds people count in minutes or hours: 3600 says "= 1 h" beside it */}
          {key.endsWith('_s') && typeof value === 'number' && value >= 60 && <span className="fd-num-words" data-testid={`words-${full}`}>= {formatSeconds(value)}</span>}
        </NumberInput>
      )
      break
    case 'expression':
      widget = <ExpressionInput id={id} testid={full} value={value} kind="expression" disabled={ctx.disabled} onChange={set} placeholder="e.g. input.amount > 100" said={said} />
      break
    case 'string':
      widget = (
        <ExpressionInput
          id={id}
          testid={full}
          value={value}
          kind="template"
          said={said}
          disabled={ctx.disabled}
          onChange={set}
          placeholder={schema.default !== undefined ? String(schema.default) : schema.description && schema.description.length < 60 ? schema.description : ''}
          multiline={(schema.maxLength ?? 0) > 500 || ['body', 'instructions', 'message', 'description'].includes(key)}
        />
      )
      break
    case 'list':
      widget = <ListEditor testid={full} value={value} schema={schema} disabled={ctx.disabled} renamesPorts={ctx.portSource === key && path.length === 1} onChange={set} />
      break
    case 'map':
      widget = <MapEditor testid={full} value={value} schema={schema} disabled={ctx.disabled} onChange={set} />
      break
    default:
      widget = <JsonEditor id={id} testid={full} value={value} disabled={ctx.disabled} onChange={set} />
  }
  if (value !== undefined && (kind === 'string' || kind === 'expression') && typeof value !== 'string') local = 'expected text'
  return (
    <div className={`fd-field ${errors.length ? 'has-error' : ''}`} data-field={full}>
      <label className="fd-label" htmlFor={id}>
        {title}
        {required && <span className="fd-required" title="required"> *</span>}
      </label>
      {widget}
      {schema.description && kind !== 'string' && kind !== 'template-version' && !(kind === 'template' && isDynamic(value)) && <div className="fd-help">{schema.description}</div>}
      {schema.description && kind === 'string' && schema.description.length >= 60 && <div className="fd-help">{schema.description}</div>}
      <FieldErrors errors={errors} local={local} path={full} />
    </div>
  )
}

const hasItems = (value: unknown) => Array.isArray(value) && value.length > 0

/** Whether a template field of this object holds a `{{ expression }}`. */
function choosesByExpression(parent: JsonSchema, root: { [key: string]: Json }): boolean {
  return Object.entries(parent.properties ?? {}).some(([k, s]) => s['x-widget'] === 'template' && isDynamic(root[k]))
}

/** What an unticked box means where "no" says too little. */
const OFF_WORDS: Record<string, string> = { wait: 'no: fire and forget' }

/** An enum value's words: the schema's `x-enum-labels` for it, else the value itself. */
export function enumLabel(schema: JsonSchema, value: Json | undefined): string {
  const labels = schema['x-enum-labels'] as Record<string, string> | undefined
  return (typeof value === 'string' && labels && Object.hasOwn(labels, value) && labels[value]) || String(value)
}

export function ObjectField({ ctx, path, schema, required, title, errors }: { ctx: FieldContext; path: string[]; schema: JsonSchema; required: boolean; title: string; errors: ApiFieldError[] }) {
  const full = `${ctx.base}.${path.join('.')}`
  const value = getAt(ctx.root, path)
  const on = value !== undefined
  const enable = (checked: boolean) => {
    if (!checked) return ctx.onChange(path, undefined)
    const initial: { [k: string]: Json } = {}
    // a retry policy starts at 3 attempts; other objects start with their required defaults
    const props = schema.properties ?? {}
    if (props.max_attempts) initial.max_attempts = 3
    for (const k of schema.required ?? []) if (props[k]?.default !== undefined) initial[k] = props[k].default as Json
    ctx.onChange(path, initial)
  }
  return (
    <fieldset className={`fd-fieldset ${errors.length ? 'has-error' : ''}`} data-testid={`field-${full}`} data-field={full}>
      <legend>
        {required ? (
          title
        ) : (
          <label className="fd-check-row">
            <input type="checkbox" checked={on} disabled={ctx.disabled} onChange={(e) => enable(e.target.checked)} data-testid={`toggle-${full}`} />
            <span>{title}</span>
          </label>
        )}
      </legend>
      {schema.description && <div className="fd-help">{schema.description}</div>}
      {(on || required) &&
        Object.entries(schema.properties ?? {}).map(([k, s]) => <SchemaField key={k} ctx={ctx} path={[...path, k]} schema={s} parent={schema} />)}
      {!on && !required && <div className="fd-help">Off: the defaults apply.</div>}
      <FieldErrors errors={errors} path={full} />
    </fieldset>
  )
}

/** Text kept locally while typing; re-read from the value when it changes elsewhere (undo). */
function useLocalText<T>(value: T, toText: (v: T) => string, sameAs: (text: string, v: T) => boolean): [string, (t: string) => void] {
  const [text, setText] = useState(() => toText(value))
  const latest = useRef(text)
  latest.current = text
  useEffect(() => {
    if (!sameAs(latest.current, value)) setText(toText(value))
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [value])
  return [text, setText]
}

function NumberInput({ id, testid, value, schema, integer, disabled, onChange, quiet, children }: { id: string; testid: string; value: Json | undefined; schema: JsonSchema; integer: boolean; disabled: boolean; onChange(v: Json | undefined): void; quiet: boolean; children?: React.ReactNode }) {
  const [text, setText] = useLocalText(
    value,
    (v) => (v === undefined ? '' : String(v)),
    (t, v) => {
      const p = parseNumber(t, integer)
      return p.error !== undefined ? false : p.value === v
    },
  )
  const parsed = parseNumber(text, integer)
  const problem = parsed.error ?? (parsed.value !== undefined ? numberProblem(parsed.value, schema) : null)
  return (
    <>
      <div className="fd-num-row">
        <input
          id={id}
          type="text"
          inputMode="decimal"
          className="fd-num"
          data-testid={`field-${testid}`}
          value={text}
          disabled={disabled}
          placeholder={schema.default !== undefined ? `default ${String(schema.default)}` : ''}
          aria-invalid={!!problem}
          onChange={(e) => {
            setText(e.target.value)
            const p = parseNumber(e.target.value, integer)
            if (p.error === undefined) onChange(p.value)
          }}
        />
        {children}
      </div>
      {problem && !(quiet && parsed.error === undefined) && <div className="fd-field-errors">{problem}</div>}
    </>
  )
}

/** A text field; expressions (and text with {{ templates }}) are checked by the server as they are typed. */
export function ExpressionInput({
  id,
  testid,
  value,
  kind,
  disabled,
  onChange,
  placeholder,
  multiline = false,
  said = [],
}: {
  id: string
  testid: string
  value: Json | undefined
  kind: 'expression' | 'template'
  disabled: boolean
  onChange(v: Json | undefined): void
  placeholder?: string
  multiline?: boolean
  /** What the field's errors already say (the live check does not repeat it). */
  said?: readonly string[]
}) {
  const text = typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value)
  const check = useExpressionCheck(text, kind, !disabled && (kind === 'expression' || hasTemplate(text)))
  const props = {
    id,
    'data-testid': `field-${testid}`,
    value: text,
    disabled,
    placeholder,
    spellCheck: false,
    className: kind === 'expression' || hasTemplate(text) ? 'fd-mono' : undefined,
    'aria-invalid': check ? !check.valid : undefined,
    onChange: (e: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => onChange(e.target.value === '' ? undefined : e.target.value),
  }
  return (
    <>
      {multiline ? <textarea rows={3} {...props} /> : <input type="text" {...props} />}
      <CheckMessage result={liveVerdict(check, said)} testid={testid} />
    </>
  )
}

/** Strings with {{ templates }} inside a JSON value (the first few get checked). */
function templateStrings(value: unknown, out: string[] = []): string[] {
  if (out.length >= 5) return out
  if (typeof value === 'string') {
    if (hasTemplate(value)) out.push(value)
  } else if (Array.isArray(value)) value.forEach((v) => templateStrings(v, out))
  else if (isPlainObject(value)) Object.values(value).forEach((v) => templateStrings(v, out))
  return out
}

/** Any JSON value, or (Text mode) a string that may be a {{ template }}. */
export function JsonEditor({ id, testid, value, disabled, onChange, rows = 4 }: { id: string; testid: string; value: Json | undefined; disabled: boolean; onChange(v: Json | undefined): void; rows?: number }) {
  const [mode, setMode] = useState<'json' | 'text'>(typeof value === 'string' ? 'text' : 'json')
  useEffect(() => {
    if (typeof value === 'string' && mode === 'json') setMode('text')
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [value])
  const [text, setText] = useLocalText(
    value,
    (v) => (v === undefined ? '' : mode === 'text' && typeof v === 'string' ? v : pretty(v)),
    (t, v) => {
      if (mode === 'text') return (t === '' ? undefined : t) === v
      const p = parseJsonText(t)
      return p.error === undefined && canonical(p.value) === canonical(v)
    },
  )
  const parsed = mode === 'json' ? parseJsonText(text) : { value: text === '' ? undefined : text }
  const templates = parsed.error ? [] : templateStrings(parsed.value)
  const check = useExpressionCheck(templates.join('\n'), 'template', !disabled && templates.length > 0)
  const switchMode = (next: 'json' | 'text') => {
    if (next === mode) return
    setMode(next)
    if (next === 'text') {
      const t = typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value)
      setText(t)
      onChange(t === '' ? undefined : t)
    } else {
      const t = value === undefined ? '' : pretty(value)
      setText(t)
    }
  }
  return (
    <div className="fd-json">
      <div className="fd-seg" role="group" aria-label="Value kind">
        <button type="button" className={mode === 'json' ? 'on' : ''} aria-pressed={mode === 'json'} disabled={disabled} onClick={() => switchMode('json')}>
          JSON
        </button>
        <button type="button" className={mode === 'text' ? 'on' : ''} aria-pressed={mode === 'text'} disabled={disabled} onClick={() => switchMode('text')}>
          Text
        </button>
      </div>
      <textarea
        id={id}
        className="fd-mono"
        data-testid={`field-${testid}`}
        rows={rows}
        value={text}
        disabled={disabled}
        spellCheck={false}
        placeholder={mode === 'json' ? '{"key": "{{ input.value }}"}' : '{{ input }}'}
        aria-invalid={!!parsed.error}
        onChange={(e) => {
          setText(e.target.value)
          if (mode === 'text') onChange(e.target.value === '' ? undefined : e.target.value)
          else {
            const p = parseJsonText(e.target.value)
            if (p.error === undefined) onChange(p.value)
          }
        }}
      />
      {parsed.error && <div className="fd-field-errors">{parsed.error}</div>}
      {!parsed.error && <CheckMessage result={check} testid={testid} />}
    </div>
  )
}

function ListEditor({ testid, value, schema, disabled, renamesPorts, onChange }: { testid: string; value: Json | undefined; schema: JsonSchema; disabled: boolean; renamesPorts: boolean; onChange(v: Json | undefined, rename?: [string, string]): void }) {
  const items = Array.isArray(value) ? value : []
  const setItems = (next: Json[], rename?: [string, string]) => onChange(next.length ? next : undefined, rename)
  const itemType = schema.items?.type
  const numeric = itemType === 'integer' || itemType === 'number'
  const noun = renamesPorts ? 'case' : listItemNoun(schema)
  const placeholder = listPlaceholder(schema)
  return (
    <div className="fd-list" data-testid={`field-${testid}`}>
      {items.map((item, i) => (
        <div className="fd-list-row" key={i}>
          <input
            type="text"
            className={renamesPorts || (typeof item === 'string' && hasTemplate(item)) ? 'fd-mono' : undefined}
            inputMode={numeric ? 'numeric' : undefined}
            data-testid={`field-${testid}.${i}`}
            aria-label={`${noun} ${i + 1}`}
            placeholder={placeholder}
            value={typeof item === 'string' || typeof item === 'number' ? String(item) : JSON.stringify(item)}
            disabled={disabled}
            onChange={(e) => {
              const next = [...items]
              next[i] = parseListItem(e.target.value, schema.items)
              const old = items[i]
              setItems(next, renamesPorts && typeof old === 'string' && typeof next[i] === 'string' ? [old, next[i] as string] : undefined)
            }}
          />
          <button type="button" className="fd-icon-btn" title="Move up" aria-label={`Move item ${i + 1} up`} disabled={disabled || i === 0} onClick={() => setItems([...items.slice(0, i - 1), items[i], items[i - 1], ...items.slice(i + 1)])}>
            ↑
          </button>
          <button type="button" className="fd-icon-btn" title="Remove" aria-label={`Remove item ${i + 1}`} disabled={disabled} onClick={() => setItems(items.filter((_, j) => j !== i))}>
            ×
          </button>
        </div>
      ))}
      {!disabled && (schema.maxItems === undefined || items.length < schema.maxItems) && (
        <button
          type="button"
          className="fd-link-btn"
          data-testid={`add-${testid}`}
          onClick={() => {
            if (numeric) return setItems([...items, 200])
            let n = items.length + 1
            const base = renamesPorts ? 'case' : 'item'
            while (items.includes(`${base}_${n}`)) n++
            setItems([...items, renamesPorts ? `${base}_${n}` : ''])
          }}
        >
          + Add {noun}
        </button>
      )}
    </div>
  )
}

function MapEditor({ testid, value, schema, disabled, onChange }: { testid: string; value: Json | undefined; schema: JsonSchema; disabled: boolean; onChange(v: Json | undefined): void }) {
  const entries = isPlainObject(value) ? Object.entries(value) : []
  const loose = mapAllowsNonString(schema)
  // Rows are kept locally so a half-typed key (or two empty keys) does not lose a row.
  const [rows, setRows] = useState<[string, string][]>(() => entries.map(([k, v]) => [k, mapValueText(v)]))
  const lastSent = useRef(canonical(value ?? {}))
  useEffect(() => {
    if (canonical(value ?? {}) !== lastSent.current) {
      setRows((isPlainObject(value) ? Object.entries(value) : []).map(([k, v]) => [k, mapValueText(v)]))
      lastSent.current = canonical(value ?? {})
    }
  }, [value])
  const update = (next: [string, string][]) => {
    setRows(next)
    const obj = objectOf(next.filter(([k]) => k !== '').map(([k, v]) => [k, parseMapValue(v, loose)] as const))
    lastSent.current = canonical(obj)
    onChange(Object.keys(obj).length ? obj : undefined)
  }
  const dupes = new Set(rows.map((r) => r[0]).filter((k, i, all) => k && all.indexOf(k) !== i))
  return (
    <div className="fd-map" data-testid={`field-${testid}`}>
      {rows.map(([k, v], i) => (
        <div className="fd-map-row" key={i}>
          <input type="text" className="fd-mono" placeholder="name" aria-label={`name ${i + 1}`} data-testid={`field-${testid}.${i}.key`} value={k} disabled={disabled} aria-invalid={dupes.has(k)} onChange={(e) => update(rows.map((r, j) => (j === i ? [e.target.value, r[1]] : r)))} />
          <input type="text" className="fd-mono" placeholder={loose ? 'value or {{ expression }}' : 'value'} aria-label={`value ${i + 1}`} data-testid={`field-${testid}.${i}.value`} value={v} disabled={disabled} onChange={(e) => update(rows.map((r, j) => (j === i ? [r[0], e.target.value] : r)))} />
          <button type="button" className="fd-icon-btn" title="Remove" aria-label={`Remove ${k || 'row'}`} disabled={disabled} onClick={() => update(rows.filter((_, j) => j !== i))}>
            ×
          </button>
        </div>
      ))}
      {dupes.size > 0 && <div className="fd-field-errors">repeated name: {[...dupes].join(', ')}</div>}
      {!disabled && (
        <button type="button" className="fd-link-btn" data-testid={`add-${testid}`} onClick={() => setRows([...rows, ['', '']])}>
          + Add
        </button>
      )}
      {loose && rows.length > 0 && <div className="fd-help">Numbers, true/false and JSON are read as values; anything else is text.</div>}
    </div>
  )
}
