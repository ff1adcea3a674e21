import { useMemo, useRef, useState } from 'react'
import { addAtCentre, NODE_WIDTH } from '../canvas/actions'
import { overCanvas, screenToFlow } from '../canvas/flowRef'
import { CATEGORY_ORDER, CATEGORY_TITLE, TypeIcon, categoryColour } from '../canvas/look'
import type { StepTypeDef } from '../graph/types'
import { addNode, useEditor } from '../state/store'

interface Ghost {
  type: StepTypeDef
  x: number
  y: number
  over: boolean
}

const DRAG_THRESHOLD = 4
/** Familiar order first; types the server adds later follow, by name. */
const TYPE_ORDER = ['task', 'http', 'notify', 'transform', 'condition', 'switch', 'map', 'loop', 'subworkflow', 'approval', 'wait', 'signal', 'end']

/**
 * Every node type the server knows, grouped by category and searchable. Drag an item onto the
 * canvas, or focus it and press Enter to add it at the middle of the view.
 */
export function Palette() {
  const typeList = useEditor((s) => s.typeList)
  const comparing = useEditor((s) => !!s.compare)
  const [query, setQuery] = useState('')
  const [ghost, setGhost] = useState<Ghost | null>(null)
  const dragging = useRef(false)

  const groups = useMemo(() => {
    const q = query.trim().toLowerCase()
    const match = (t: StepTypeDef) => !q || [t.type, t.label, t.description, t.category].some((v) => v?.toLowerCase().includes(q))
    const byCat = new Map<string, StepTypeDef[]>()
    const rank = (t: StepTypeDef) => {
      const i = TYPE_ORDER.indexOf(t.type)
      return i < 0 ? TYPE_ORDER.length : i
    }
    const sorted = typeList.filter(match).sort((a, b) => rank(a) - rank(b) || a.label.localeCompare(b.label))
    for (const t of sorted) {
      const list = byCat.get(t.category) ?? []
      list.push(t)
      byCat.set(t.category, list)
    }
    const order = [...CATEGORY_ORDER.filter((c) => byCat.has(c)), ...[...byCat.keys()].filter((c) => !CATEGORY_ORDER.includes(c)).sort()]
    return order.map((c) => ({ category: c, types: byCat.get(c)! }))
  }, [typeList, query])

  const startDrag = (event: React.PointerEvent, type: StepTypeDef) => {
    if (event.button !== 0) return
    const start = { x: event.clientX, y: event.clientY }
    dragging.current = false
    const move = (e: PointerEvent) => {
      if (!dragging.current && Math.hypot(e.clientX - start.x, e.clientY - start.y) < DRAG_THRESHOLD) return
      dragging.current = true
      e.preventDefault()
      setGhost({ type, x: e.clientX, y: e.clientY, over: overCanvas(e.clientX, e.clientY) })
    }
    const up = (e: PointerEvent) => {
      window.removeEventListener('pointermove', move)
      window.removeEventListener('pointerup', up)
      window.removeEventListener('pointercancel', cancel)
      setGhost(null)
      if (dragging.current && overCanvas(e.clientX, e.clientY)) {
        const p = screenToFlow(e.clientX, e.clientY)
        addNode(type.type, { x: Math.round((p.x - NODE_WIDTH / 2) / 10) * 10, y: Math.round((p.y - 24) / 10) * 10 })
      }
      dragging.current = false
    }
    const cancel = () => {
      window.removeEventListener('pointermove', move)
      window.removeEventListener('pointerup', up)
      window.removeEventListener('pointercancel', cancel)
      setGhost(null)
      dragging.current = false
    }
    window.addEventListener('pointermove', move)
    window.addEventListener('pointerup', up)
    window.addEventListener('pointercancel', cancel)
  }

  const onKey = (event: React.KeyboardEvent, type: StepTypeDef) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault()
      addAtCentre(type.type)
    }
  }

  return (
    <aside className={`fd-palette ${comparing ? 'is-disabled' : ''}`} aria-label="Node types" aria-disabled={comparing}>
      <div className="fd-palette-search">
        <input
          type="search"
          placeholder="Search steps…"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          aria-label="Search node types"
          data-testid="palette-search"
        />
      </div>
      <div className="fd-palette-list">
        {groups.length === 0 && <p className="fd-muted fd-pad">No step type matches “{query}”.</p>}
        {groups.map((g) => (
          <section key={g.category} className="fd-palette-group" aria-label={CATEGORY_TITLE[g.category] ?? g.category}>
            <h3>{CATEGORY_TITLE[g.category] ?? g.category.charAt(0).toUpperCase() + g.category.slice(1)}</h3>
            {g.types.map((t) => (
              <div
                key={t.type}
                className="fd-palette-item"
                role="button"
                tabIndex={0}
                data-testid={`palette-${t.type}`}
                title={`${t.description}\nDrag onto the canvas, or press Enter to add it in the middle.`}
                aria-label={`Add ${t.label}: ${t.description}`}
                style={{ '--cat': categoryColour(t.category) } as React.CSSProperties}
                onPointerDown={(e) => startDrag(e, t)}
                onKeyDown={(e) => onKey(e, t)}
                onDoubleClick={() => addAtCentre(t.type)}
              >
                <span className="fd-palette-icon">
                  <TypeIcon type={t.type} />
                </span>
                <span className="fd-palette-text">
                  <span className="fd-palette-label">{t.label}</span>
                  <span className="fd-palette-desc">{t.description}</span>
                </span>
              </div>
            ))}
          </section>
        ))}
      </div>
      <p className="fd-palette-hint">Drag a step onto the canvas, or focus one and press Enter.</p>
      {ghost && (
        <div className={`fd-drag-ghost ${ghost.over ? 'is-over' : ''}`} style={{ left: ghost.x, top: ghost.y, '--cat': categoryColour(ghost.type.category) } as React.CSSProperties}>
          <TypeIcon type={ghost.type.type} /> {ghost.type.label}
        </div>
      )}
    </aside>
  )
}
