import { Handle, Position, useUpdateNodeInternals, type NodeProps } from '@xyflow/react'
import { memo, useEffect, useMemo, useRef } from 'react'
import type { StepNode } from '../graph/convert'
import { outputPorts } from '../graph/ports'
import { NodeProgress } from '../run/NodeProgress'
import { NodeHeartbeat } from '../operate/HeartbeatBar'
import { PER_ITEM } from '../run/progress'
import { latestStep } from '../run/status'
import { useShallow } from 'zustand/react/shallow'
import type { StepTypeDef } from '../graph/types'
import { useEditor, type EditorState } from '../state/store'
import { PHRASE_KINDS, STATUS_LABEL, TypeIcon, categoryColour, formatDuration, nodeSummary, nodeTags, portTone } from './look'

type Overlay = ReturnType<typeof computeOverlay>
const overlays = new Map<string, { inputs: unknown[]; kind: string; value: Overlay }>()

/**
 * What is drawn over one step, recomputed only when a part of the state it reads is replaced: a drag
 * replaces `nodes` on every frame, and then each of the 500 steps' subscriptions costs a few
 * identity checks.
 */
function overlayOf(s: EditorState, id: string, kind: string): Overlay {
  const inputs = [s.types, s.validation, s.showPlan, s.run, s.compare, s.edgePorts, s.readOnly]
  const hit = overlays.get(id)
  if (hit && hit.kind === kind && hit.inputs.every((v, i) => v === inputs[i])) return hit.value
  const value = computeOverlay(s, id, kind)
  overlays.set(id, { inputs, kind, value })
  return value
}

/** What is drawn over one step (validation, plan, run, comparison): primitives, so a shallow compare sees changes. */
function computeOverlay(s: EditorState, id: string, kind: string) {
  const compare = s.compare
  const problems = compare ? undefined : s.validation.byNode.get(id)
  const mention = compare ? undefined : s.validation.mentions.get(id)
  const step = !compare && s.run ? latestStep(s.run.steps.get(id) ?? []) : undefined
  const d = compare?.diff.nodes.get(id)
  return {
    def: s.types[kind] as StepTypeDef | undefined,
    errors: problems?.length ?? 0,
    firstError: (problems?.[0] ?? mention?.[0])?.message ?? '',
    mentioned: !!mention,
    batch: s.showPlan && !compare ? s.validation.batchOf.get(id) ?? 0 : 0,
    status: compare ? undefined : s.run?.nodeStatus.get(id),
    runNote: step ? [step.attempt > 1 ? `attempt ${step.attempt}` : '', formatDuration(step.duration_ms)].filter(Boolean).join(' · ') : '',
    diff: d?.status,
    layoutChange: d ? (d.moved ? 'moved' : '') + (d.relabelled ? (d.moved ? ', relabelled' : 'relabelled') : '') : '',
    usedPorts: (compare ? compare.edgePorts : s.edgePorts).get(id) ?? '',
    editable: !s.readOnly && !compare,
  }
}

/** One workflow step on the canvas. Memoised: it re-renders only when its own data or overlay changes. */
function StepNodeViewImpl({ id, data, selected }: NodeProps<StepNode>) {
  // one subscription per node, compared field by field: a drag elsewhere costs one cheap call here
  const { def, errors, firstError, mentioned, batch, status, runNote, diff, layoutChange, usedPorts, editable } = useEditor(
    useShallow((s) => overlayOf(s, id, data.kind)),
  )

  const ports = useMemo(() => outputPorts(def, data.config), [def, data.config])
  const stray = usedPorts ? usedPorts.split('\u0000').filter((p) => !ports.includes(p)) : []
  // handles renamed or reordered without a change of size: React Flow must measure them again
  const updateNodeInternals = useUpdateNodeInternals()
  const handleKey = `${ports.join('\u0000')}|${stray.join('\u0000')}`
  const firstKey = useRef(handleKey)
  useEffect(() => {
    if (handleKey !== firstKey.current) {
      firstKey.current = handleKey
      updateNodeInternals(id)
    }
  }, [handleKey, id, updateNodeInternals])
  const summary = nodeSummary(data.kind, data.config)
  const phrase = PHRASE_KINDS.has(data.kind) && summary !== ''
  const tags = useMemo(() => nodeTags(data.config), [data.config])
  const single = ports.length === 1 && ports[0] === 'out' && stray.length === 0

  const classes = ['fd-node']
  if (selected) classes.push('is-selected')
  if (errors || mentioned) classes.push('has-error')
  if (status) classes.push(`st-${status}`)
  if (diff) classes.push(`diff-${diff}`)
  if (!def) classes.push('is-unknown')

  return (
    <div
      className={classes.join(' ')}
      style={{ '--cat': categoryColour(def?.category) } as React.CSSProperties}
      data-testid={`node-${id}`}
      data-type={data.kind}
      data-status={status}
      data-error={errors || mentioned ? 'true' : undefined}
      data-diff={diff}
      data-batch={batch || undefined}
      title={mentioned && !errors ? firstError : undefined}
    >
      <Handle type="target" position={Position.Left} className="fd-handle fd-handle-in" isConnectable={editable} />
      <div className="fd-node-head">
        <span className="fd-node-icon">
          <TypeIcon type={data.kind} />
        </span>
        <div className="fd-node-titles">
          <div className="fd-node-label" title={data.label || id}>
            {data.label || id}
          </div>
          <div className="fd-node-sub" title={phrase ? undefined : summary}>
            <span className="fd-node-type">{def?.label ?? `${data.kind} (unknown type)`}</span>
            {summary && !phrase && <span className="fd-node-summary"> · {summary}</span>}
          </div>
        </div>
        {errors > 0 && (
          <span className="fd-node-errors" title={firstError} aria-label={`${errors} problem${errors === 1 ? '' : 's'}`}>
            {errors}
          </span>
        )}
        {batch > 0 && (
          <span className="fd-node-batch" title={`runs in parallel batch ${batch}`}>
            {batch}
          </span>
        )}
        {single && <Handle type="source" id="out" position={Position.Right} className="fd-handle fd-handle-out" isConnectable={editable} />}
      </div>
      {phrase && (
        <div className="fd-node-phrase" title={summary}>
          {summary}
        </div>
      )}
      {tags.length > 0 && (
        <div className="fd-node-tags">
          {tags.map((t) => (
            <span key={t.key} className={`fd-node-tag tag-${t.key}`} title={t.title} data-testid={`node-tag-${t.key}`}>
              {t.key === 'undo' && (
                <span className="fd-node-tag-icon" aria-hidden="true">
                  ↶
                </span>
              )}
              {t.text}
            </span>
          ))}
        </div>
      )}
      {!single && ports.length + stray.length > 0 && (
        <div className="fd-node-ports">
          {ports.map((p) => (
            <div key={p} className={`fd-port tone-${portTone(p)}`} data-port={p}>
              <span className="fd-port-label">{p}</span>
              <Handle type="source" id={p} position={Position.Right} className="fd-handle fd-handle-out" isConnectable={editable} />
            </div>
          ))}
          {stray.map((p) => (
            <div
              key={p}
              className={`fd-port ${diff ? 'tone-muted' : 'tone-stray'}`}
              data-port={p}
              title={diff ? `port '${p}' of the other version` : `this node has no port '${p}': remove or reconnect its edges`}
            >
              <span className="fd-port-label">{diff ? p : `${p} ⚠`}</span>
              <Handle type="source" id={p} position={Position.Right} className="fd-handle fd-handle-out" isConnectable={false} />
            </div>
          ))}
        </div>
      )}
      {status && (
        <div className="fd-node-status">
          <span className="fd-status-dot" />
          {STATUS_LABEL[status] ?? status}
          {runNote && <span className="fd-node-runnote"> · {runNote}</span>}
        </div>
      )}
      {status && PER_ITEM.has(data.kind) && <NodeProgress id={id} kind={data.kind} config={data.config} />}
      {status === 'running' && !PER_ITEM.has(data.kind) && <NodeHeartbeat id={id} />}
      {diff && diff !== 'unchanged' && <div className={`fd-node-diff diff-tag-${diff}`}>{diff}</div>}
      {diff === 'unchanged' && layoutChange && <div className="fd-node-diff diff-tag-layout">{layoutChange}</div>}
    </div>
  )
}

export const StepNodeView = memo(StepNodeViewImpl)
