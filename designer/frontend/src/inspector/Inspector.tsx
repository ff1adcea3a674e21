import { Fragment, useEffect, useMemo, useState } from 'react'
import { useShallow } from 'zustand/react/shallow'
import type { ApiFieldError } from '../api/types'
import { TypeIcon, categoryColour } from '../canvas/look'
import { portSource } from '../graph/ports'
import type { Json, JsonSchema } from '../graph/types'
import { choicesOf } from '../schema/choices'
import { compensationHandler } from '../schema/compensate'
import { executionTitle, fieldShown, hiddenField, orderedFields, renderedPaths } from '../schema/form'
import { QUERY_NAME } from '../schema/queries'
import { deleteNodes, duplicateSelected, focusNode, renameNode, setConfig, setConfigValues, setLabel, setSettings, useEditor } from '../state/store'
import { APPROVAL_SHOWN, ApprovalFields } from '../approval/ApprovalFields'
import { ChoiceField } from './ChoiceField'
import { SchemaField, type FieldContext } from './fields'
import { TemplateDescription } from './TemplateDescription'

/** The workflow-level settings (graph JSON v1 `settings`); the same for every server. The
 *  description is the template's, not a setting of the graph (see TemplateDescription). */
export const SETTINGS_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    timeout_s: { type: 'number', exclusiveMinimum: 0, title: 'Workflow timeout (s)', description: 'the whole instance fails once it runs this long' },
    on_failure: {
      type: 'string',
      enum: ['fail', 'compensate'],
      default: 'fail',
      title: 'On failure',
      'x-enum-labels': { fail: 'Fail the workflow', compensate: 'Undo completed steps (saga)' },
      description: "when a step fails for good: end at once, or first undo the completed steps (their compensation handlers, latest first)",
    },
    queries: {
      type: 'object',
      title: 'Queries',
      'x-widget': 'expressions',
      description: 'named expressions anyone who may see an instance can ask of it, e.g. steps.review.status (GET /api/v1/instances/{id}/queries/{name}/)',
      maxProperties: 50,
      propertyNames: { pattern: QUERY_NAME },
      additionalProperties: { type: 'string', minLength: 1, maxLength: 2000 },
    },
    output: { title: 'Output', description: "the instance's output; may use {{ expressions }} such as {{ steps.finalize.output }}" },
  },
}

const EMPTY: ApiFieldError[] = []

export function Inspector() {
  const selected = useEditor((s) => (s.compare ? s.compare.nodes.filter((n) => n.selected).map((n) => n.id).join('\u0000') : s.selectedIds.join('\u0000')))
  const comparing = useEditor((s) => !!s.compare)
  const ids = selected ? selected.split('\u0000') : []
  if (comparing) return <CompareInspector id={ids.length === 1 ? ids[0] : null} />
  if (ids.length === 1) return <NodeInspector key={ids[0]} id={ids[0]} />
  if (ids.length > 1) return <MultiInspector ids={ids} />
  return <SettingsInspector />
}

function Problems({ errors, testid }: { errors: ApiFieldError[]; testid: string }) {
  if (errors.length === 0) return null
  return (
    <div className="fd-inspector-problems" role="alert" data-testid={testid}>
      {errors.map((e, i) => (
        <div key={i} className="fd-problem-line">
          <span className="fd-problem-icon" aria-hidden="true">!</span>
          <span>
            {e.message}
            {e.field && <code className="fd-problem-field"> {e.field}</code>}
          </span>
        </div>
      ))}
    </div>
  )
}

function NodeInspector({ id }: { id: string }) {
  const data = useEditor((s) => s.nodes.find((n) => n.id === id)?.data)
  const def = useEditor((s) => (data ? s.types[data.kind] : undefined))
  const own = useEditor((s) => s.validation.byNode.get(id) ?? EMPTY)
  const mentions = useEditor((s) => s.validation.mentions.get(id) ?? EMPTY)
  const errors = useMemo(() => (mentions.length ? [...own, ...mentions] : own), [own, mentions])
  const handlers = useEditor((s) => s.handlers)
  const readOnly = useEditor((s) => s.readOnly)
  const [idText, setIdText] = useState(id)
  const [idError, setIdError] = useState<string | null>(null)
  useEffect(() => setIdText(id), [id])

  const schema = def?.schema ?? { type: 'object', properties: {} }
  const allFields = useMemo(() => orderedFields(schema), [schema])
  const choices = useMemo(() => choicesOf(schema), [schema])
  const kind = data?.kind ?? ''
  const config = data?.config
  const fields = useMemo(() => {
    const shownHere = (k: string) => !config || !hiddenField(kind, k, config)
    return { main: allFields.main.filter(shownHere), execution: allFields.execution.filter(shownHere) }
  }, [allFields, kind, config])
  // the execution section opens when the step sets any of it, and whenever the server finds a problem there
  const execSet = !!data && fields.execution.some((k) => data.config[k] !== undefined)
  const execErrors = errors.some((e) => fields.execution.some((k) => e.field?.startsWith(`config.${k}`)))
  const [execOpen, setExecOpen] = useState(execSet || execErrors)
  useEffect(() => {
    if (execErrors) setExecOpen(true)
  }, [execErrors])
  const shown = useMemo(() => new Set(['label', ...renderedPaths(schema, 'config'), ...(kind === 'approval' ? APPROVAL_SHOWN : [])]), [schema, kind])
  if (!data) return null

  const labelErrors = errors.filter((e) => e.field === 'label' && e.node === id)
  // errors no field shows: the node's own (isolated, unreachable, cycles) and unknown keys
  const other = errors.filter((e) => !e.field || e.node !== id || !fieldShown(e.field, shown))
  const ctx: FieldContext = {
    base: 'config',
    root: data.config,
    errors: errors.filter((e) => e.node === id),
    handlers,
    disabled: readOnly,
    portSource: portSource(def),
    onChange: (path, value, rename) => setConfig(id, path, value, rename),
    onChangeMany: (changes) => setConfigValues(id, changes),
  }
  const commitId = () => {
    const problem = renameNode(id, idText.trim())
    setIdError(problem)
    if (problem === null && idText.trim() !== id) focusNode(idText.trim())
  }
  return (
    <div className="fd-inspector" data-testid="inspector" data-node={id}>
      <header className="fd-inspector-head" style={{ '--cat': categoryColour(def?.category) } as React.CSSProperties}>
        <span className="fd-node-icon">
          <TypeIcon type={data.kind} size={18} />
        </span>
        <div>
          <div className="fd-inspector-type">{def?.label ?? `Unknown type “${data.kind}”`}</div>
          <div className="fd-help">{def?.description}</div>
        </div>
      </header>
      <Problems errors={other} testid="inspector-problems" />
      <fieldset className="fd-form" disabled={readOnly}>
        <div className="fd-field">
          <label className="fd-label" htmlFor={`label-${id}`}>
            Label
          </label>
          <input id={`label-${id}`} type="text" data-testid="field-label" value={data.label} maxLength={200} onChange={(e) => setLabel(id, e.target.value)} placeholder={id} />
          {labelErrors.map((e, i) => (
            <div key={i} className="fd-field-errors">
              {e.message}
            </div>
          ))}
        </div>
        <div className="fd-field">
          <label className="fd-label" htmlFor={`id-${id}`}>
            Id <span className="fd-help-inline">used in expressions: steps.{id}.output</span>
          </label>
          <input
            id={`id-${id}`}
            type="text"
            className="fd-mono"
            data-testid="field-id"
            value={idText}
            onChange={(e) => {
              setIdText(e.target.value)
              setIdError(null)
            }}
            onBlur={commitId}
            onKeyDown={(e) => e.key === 'Enter' && commitId()}
          />
          {idError && <div className="fd-field-errors">{idError}</div>}
        </div>
        {kind === 'approval' && def && <ApprovalFields ctx={ctx} schema={schema} main={fields.main} nodeId={id} />}
        {!(kind === 'approval' && def) && fields.main.map((k) => {
          // a choice (handler or workflow, count or while) sits where its first field would
          const choice = choices.find((c) => c.options.some((o) => o.fields.includes(k)))
          if (!choice) return <SchemaField key={k} ctx={ctx} path={[k]} schema={schema.properties![k]} parent={schema} />
          const first = fields.main.find((f) => choice.options.some((o) => o.fields.includes(f)))
          return first === k ? <ChoiceField key={k} ctx={ctx} choice={choice} schema={schema} /> : null
        })}
        {fields.execution.length > 0 && (
          <details className="fd-section" open={execOpen} onToggle={(e) => setExecOpen((e.target as HTMLDetailsElement).open)}>
            <summary>{executionTitle(fields.execution)}</summary>
            {fields.execution.map((k) => (
              <SchemaField key={k} ctx={ctx} path={[k]} schema={schema.properties![k]} parent={schema} />
            ))}
          </details>
        )}
        {!def && <p className="fd-help">The server does not know this type: its config cannot be edited here.</p>}
      </fieldset>
      {!readOnly && (
        <div className="fd-inspector-actions">
          <button type="button" className="fd-btn" onClick={() => duplicateSelected()} data-testid="btn-duplicate">
            Duplicate
          </button>
          <button type="button" className="fd-btn danger" onClick={() => deleteNodes([id])} data-testid="btn-delete-node">
            Delete step
          </button>
        </div>
      )}
    </div>
  )
}

function MultiInspector({ ids }: { ids: string[] }) {
  const readOnly = useEditor((s) => s.readOnly)
  return (
    <div className="fd-inspector" data-testid="inspector">
      <p className="fd-inspector-type">{ids.length} steps selected</p>
      <p className="fd-help">Drag to move them together; Ctrl+C / Ctrl+V copies them with new ids.</p>
      {!readOnly && (
        <div className="fd-inspector-actions">
          <button type="button" className="fd-btn" onClick={() => duplicateSelected()}>
            Duplicate
          </button>
          <button type="button" className="fd-btn danger" onClick={() => deleteNodes(ids)} data-testid="btn-delete-node">
            Delete {ids.length} steps
          </button>
        </div>
      )}
    </div>
  )
}

function SettingsInspector() {
  const settings = useEditor((s) => s.settings)
  const graphErrors = useEditor((s) => s.validation.graphErrors)
  const readOnly = useEditor((s) => s.readOnly)
  const counts = useEditor((s) => `${plural(s.nodes.length, 'step')} · ${plural(s.edges.length, 'connection')}`)
  const template = useEditor((s) => s.template)
  const shown = new Set(renderedPaths(SETTINGS_SCHEMA, 'settings'))
  const other = graphErrors.filter((e) => !e.field || !fieldShown(e.field, shown))
  const ctx: FieldContext = {
    base: 'settings',
    root: settings as { [k: string]: Json },
    errors: graphErrors,
    handlers: [],
    disabled: readOnly,
    onChange: (path, value) => setSettings(path, value),
  }
  return (
    <div className="fd-inspector" data-testid="inspector" data-node="">
      <header className="fd-inspector-head plain">
        <div>
          <div className="fd-inspector-type">Workflow settings</div>
          <div className="fd-help">
            {template?.title ?? ''} · {counts}. Select a step to edit it.
          </div>
        </div>
      </header>
      <Problems errors={other} testid="inspector-problems" />
      <fieldset className="fd-form" disabled={readOnly}>
        <TemplateDescription />
        {Object.entries(SETTINGS_SCHEMA.properties!).map(([k, s]) => (
          <Fragment key={k}>
            <SchemaField ctx={ctx} path={[k]} schema={s} parent={SETTINGS_SCHEMA} />
            {k === 'on_failure' && settings.on_failure === 'compensate' && <SagaNote />}
          </Fragment>
        ))}
      </fieldset>
    </div>
  )
}

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`

/** Under "Undo completed steps (saga)": which steps it can undo, or that none can yet. */
function SagaNote() {
  const undoable = useEditor(useShallow((s) => s.nodes.filter((n) => compensationHandler(n.data.config.compensate)).map((n) => n.data.label || n.id)))
  return (
    <div className={`fd-hint fd-saga-note ${undoable.length ? '' : 'warn'}`} data-testid="saga-note">
      {undoable.length === 0 ? (
        <>No step has a compensation handler yet: give the steps that must be undone one (a task's <b>Compensation handler</b>).</>
      ) : (
        <>
          Can undo {undoable.length === 1 ? '1 step' : `${undoable.length} steps`}: {undoable.slice(0, 4).join(', ')}
          {undoable.length > 4 ? ` and ${undoable.length - 4} more` : ''}. The workflow still ends failed, with the original error.
        </>
      )}
    </div>
  )
}

function CompareInspector({ id }: { id: string | null }) {
  const compare = useEditor((s) => s.compare)
  if (!compare) return null
  const d = id ? compare.diff.nodes.get(id) : null
  const node = id ? compare.nodes.find((n) => n.id === id) : null
  return (
    <div className="fd-inspector" data-testid="inspector">
      <header className="fd-inspector-head plain">
        <div>
          <div className="fd-inspector-type">
            {compare.fromLabel} → {compare.toLabel}
          </div>
          <div className="fd-help" data-testid="diff-summary-side">
            {compare.diff.summary}
          </div>
        </div>
      </header>
      {!d && (
        <div className="fd-pad">
          <DiffLegend />
          {compare.diff.settings.length > 0 && (
            <p>
              Settings changed: <code>{compare.diff.settings.join(', ')}</code>
            </p>
          )}
          <p className="fd-help">Select a step to see what changed in it. Moving a step or renaming its label is layout: it never changes behaviour.</p>
        </div>
      )}
      {d && node && (
        <div className="fd-pad" data-testid="diff-node">
          <p className="fd-inspector-type">
            {node.data.label || node.id} <code>{node.id}</code>
          </p>
          <p>
            <span className={`fd-pill diff-tag-${d.status}`}>{d.status}</span>
            {d.moved && <span className="fd-pill diff-tag-layout">moved</span>}
            {d.relabelled && <span className="fd-pill diff-tag-layout">label changed</span>}
          </p>
          {d.changes.length > 0 && (
            <>
              <p className="fd-label">Behaviour changes</p>
              <ul className="fd-changes">
                {d.changes.map((c) => (
                  <li key={c}>
                    <code>{c}</code>
                  </li>
                ))}
              </ul>
            </>
          )}
          {d.status === 'unchanged' && (d.moved || d.relabelled) && <p className="fd-help">Layout only: this step behaves the same.</p>}
        </div>
      )}
    </div>
  )
}

export function DiffLegend() {
  return (
    <div className="fd-legend" aria-label="Legend">
      <span>
        <i className="sw added" /> added
      </span>
      <span>
        <i className="sw removed" /> removed
      </span>
      <span>
        <i className="sw changed" /> changed
      </span>
      <span>
        <i className="sw unchanged" /> same
      </span>
    </div>
  )
}
