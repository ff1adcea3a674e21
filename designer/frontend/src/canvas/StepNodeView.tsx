import { Handle, Position, useUpdateNodeInternals, type NodeProps } from '@xyflow/react'
import { memo, useEffect, useMemo, useRef } from 'react'
import type { StepNode } from '../graph/convert'
import { outputPorts } from '../graph/ports'
import { latestStep } from '../run/status'
import { useEditor } from '../state/store'
import { STATUS_LABEL, TypeIcon, categoryColour, formatDuration, nodeSummary, portTone } from './look'

/** One workflow step on the canvas. Memoised: it re-renders only when its own data or overlay changes. */
function StepNodeViewImpl({ id, data, selected }: NodeProps<StepNode>) {
  const def = useEditor((s) => s.types[data.kind])
  const errors = useEditor((s) => (s.compare ? 0 : s.validation.byNode[id]?.length ?? 0))
  const firstError = useEditor((s) => (s.compare ? '' : (s.validation.byNode[id]?.[0] ?? s.validation.mentions[id]?.[0])?.message ?? ''))
  const mentioned = useEditor((s) => !s.compare && !!s.validation.mentions[id])
  const batch = useEditor((s) => (s.showPlan && !s.compare ? s.validation.batchOf[id] ?? 0 : 0))
  const status = useEditor((s) => (s.compare ? undefined : s.run?.nodeStatus[id]))
  const runNote = useEditor((s) => {
    if (s.compare || !s.run) return ''
    const step = latestStep(s.run.steps[id] ?? [])
    if (!step) return ''
    const parts = [step.attempt > 1 ? `attempt ${step.attempt}` : '', formatDuration(step.duration_ms)]
    return parts.filter(Boolean).join(' · ')
  })
  const diff = useEditor((s) => s.compare?.diff.nodes[id]?.status)
  const layoutChange = useEditor((s) => {
    const d = s.compare?.diff.nodes[id]
    return d ? (d.moved ? 'moved' : '') + (d.relabelled ? (d.moved ? ', relabelled' : 'relabelled') : '') : ''
  })
  const usedPorts = useEditor((s) => (s.compare ? s.compare.edgePorts[id] : s.edgePorts[id]) ?? '')
  const editable = useEditor((s) => !s.readOnly && !s.compare)

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
          <div className="fd-node-sub" title={summary}>
            <span className="fd-node-type">{def?.label ?? `${data.kind} (unknown type)`}</span>
            {summary && <span className="fd-node-summary"> · {summary}</span>}
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
      {diff && diff !== 'unchanged' && <div className={`fd-node-diff diff-tag-${diff}`}>{diff}</div>}
      {diff === 'unchanged' && layoutChange && <div className="fd-node-diff diff-tag-layout">{layoutChange}</div>}
    </div>
  )
}

export const StepNodeView = memo(StepNodeViewImpl)
