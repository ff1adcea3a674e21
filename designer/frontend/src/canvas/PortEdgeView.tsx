import { BaseEdge, getBezierPath, type EdgeProps } from '@xyflow/react'
import { memo } from 'react'
import type { PortEdge } from '../graph/convert'
import { useShallow } from 'zustand/react/shallow'
import { useEditor } from '../state/store'

/** An edge, coloured by what is drawn over the graph: a validation error, a run's path, a comparison. */
function PortEdgeViewImpl(props: EdgeProps<PortEdge>) {
  const { id, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, selected } = props
  const { diff, run, error } = useEditor(
    useShallow((s) => ({
      diff: s.compare?.edgeStatus.get(id),
      run: s.compare ? undefined : s.run?.edgeState.get(id),
      error: s.compare ? undefined : s.validation.edgeErrors.get(id),
    })),
  )
  const [path] = getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition })
  let tone = 'plain'
  if (diff && diff !== 'unchanged') tone = diff
  else if (error) tone = 'error'
  else if (run === 'taken') tone = 'taken'
  else if (run === 'not-taken') tone = 'not-taken'
  if (selected && tone === 'plain') tone = 'selected'
  return (
    <g className={`fd-edge tone-${tone}`} data-testid={`edge-${id}`} data-run={run} data-diff={diff}>
      {error && <title>{error}</title>}
      <BaseEdge id={id} path={path} markerEnd={`url(#fd-arrow-${tone})`} interactionWidth={18} />
    </g>
  )
}

export const PortEdgeView = memo(PortEdgeViewImpl)

const MARKER_TONES: Record<string, string> = {
  plain: '#8a94a6',
  selected: '#2f6fed',
  error: '#d0353a',
  taken: '#1f9d55',
  'not-taken': '#c3c9d4',
  added: '#1f9d55',
  removed: '#d0353a',
}

/** Arrowheads for every edge tone (edges point at them by id). */
export function EdgeMarkers() {
  return (
    <svg className="fd-markers" aria-hidden="true" width="0" height="0">
      <defs>
        {Object.entries(MARKER_TONES).map(([tone, colour]) => (
          <marker key={tone} id={`fd-arrow-${tone}`} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="11" markerHeight="11" markerUnits="userSpaceOnUse" orient="auto-start-reverse">
            <path d="M0 0L10 5L0 10z" fill={colour} />
          </marker>
        ))}
      </defs>
    </svg>
  )
}
