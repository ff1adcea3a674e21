import { useCallback, useEffect, useState } from 'react'
import { allPages, enc, errorMessage, get } from '../api/client'
import type { VersionDetail, VersionInfo } from '../api/types'
import { docToFlow } from '../graph/convert'
import { semanticDiff, unionGraph } from '../graph/diff'
import type { GraphV1 } from '../graph/types'
import { clearRun } from '../run/testRun'
import { formatWhen } from '../ui/when'
import { edgePortsOf, openCompare, toast, useEditor } from '../state/store'

type Ref = 'draft' | number

async function graphOf(ref: Ref): Promise<{ graph: GraphV1; label: string }> {
  const s = useEditor.getState()
  if (ref === 'draft') return { graph: s.history.present, label: s.readOnly ? 'Current graph' : 'Current draft' }
  const v = await get<VersionDetail>(`templates/${enc(s.boot.template)}/versions/${ref}/`)
  return { graph: v.graph, label: `v${ref}` }
}

/** Draw the difference between two versions (or a version and the draft) on the canvas. */
export async function compare(from: Ref, to: Ref) {
  try {
    const [a, b] = await Promise.all([graphOf(from), graphOf(to)])
    const diff = semanticDiff(a.graph, b.graph)
    const { graph, edgeStatus } = unionGraph(a.graph, b.graph, diff)
    const flow = docToFlow(graph)
    clearRun()
    openCompare({ fromLabel: a.label, toLabel: b.label, diff, nodes: flow.nodes, edges: flow.edges, edgeStatus, edgePorts: edgePortsOf(flow.edges) })
  } catch (e) {
    toast(`Could not compare: ${errorMessage(e)}`, 'error')
  }
}

export function VersionsPanel() {
  const template = useEditor((s) => s.boot.template)
  const stamp = useEditor((s) => s.save.hasDraft + ':' + (s.template?.latest_version ?? ''))
  const comparing = useEditor((s) => s.compare)
  const [versions, setVersions] = useState<VersionInfo[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [from, setFrom] = useState<string>('')
  const [to, setTo] = useState<string>('draft')

  const load = useCallback(async () => {
    try {
      const list = await allPages<VersionInfo>(`templates/${enc(template)}/versions/`, 10)
      setVersions(list)
      setError(null)
      const published = list.filter((v) => v.status === 'published')
      setFrom((f) => f || (published[0] ? String(published[0].number) : ''))
    } catch (e) {
      setError(errorMessage(e))
    }
  }, [template])

  useEffect(() => {
    void load()
  }, [load, stamp])

  const refOf = (v: string): Ref => (v === 'draft' ? 'draft' : Number(v))
  const options = (
    <>
      <option value="draft">Current draft</option>
      {(versions ?? [])
        .filter((v) => v.status !== 'draft')
        .map((v) => (
          <option key={v.number} value={String(v.number)}>
            v{v.number} · {v.status}
          </option>
        ))}
    </>
  )

  return (
    <div className="fd-versions" data-testid="versions">
      <section className="fd-compare-box" aria-label="Compare versions">
        <h3>Compare</h3>
        <div className="fd-compare-row">
          <select aria-label="From" value={from} onChange={(e) => setFrom(e.target.value)} data-testid="compare-from">
            <option value="" disabled>
              from…
            </option>
            {options}
          </select>
          <span aria-hidden="true">→</span>
          <select aria-label="To" value={to} onChange={(e) => setTo(e.target.value)} data-testid="compare-to">
            {options}
          </select>
        </div>
        <div className="fd-compare-row">
          <button type="button" className="fd-btn primary" disabled={!from || from === to} onClick={() => void compare(refOf(from), refOf(to))} data-testid="btn-compare">
            Show differences
          </button>
          {comparing && <span className="fd-muted">Showing {comparing.fromLabel} → {comparing.toLabel}</span>}
        </div>
        <p className="fd-help">Added steps are green, removed ones red (ghosted), changed ones amber. Moving or relabelling a step is layout, not a change of behaviour.</p>
      </section>
      <h3>History</h3>
      {error && <p className="fd-bad-text">{error}</p>}
      {!versions && !error && <p className="fd-muted">Loading…</p>}
      {versions && versions.length === 0 && <p className="fd-muted">No versions yet.</p>}
      <ol className="fd-version-list">
        {versions?.map((v) => (
          <li key={v.number} className="fd-version" data-testid={`version-${v.number}`}>
            <div className="fd-version-head">
              <span className="fd-version-number">v{v.number}</span>
              <span className={`fd-pill vs-${v.status}`}>{v.status}</span>
              <span className="fd-muted">{formatWhen(v.published_at ?? v.created_at)}</span>
            </div>
            {v.published_by && <div className="fd-muted">by {v.published_by}</div>}
            {v.change_note && <div className="fd-version-note">{v.change_note}</div>}
            {v.status !== 'draft' && (
              <div className="fd-version-actions">
                <button type="button" className="fd-link-btn" onClick={() => void compare(v.number, 'draft')} data-testid={`btn-compare-${v.number}`}>
                  Compare with draft
                </button>
                {versions.some((p) => p.number < v.number && p.status === 'published') && (
                  <button
                    type="button"
                    className="fd-link-btn"
                    onClick={() => {
                      const prev = versions.find((p) => p.number < v.number && p.status === 'published')
                      if (prev) void compare(prev.number, v.number)
                    }}
                  >
                    Changes in this version
                  </button>
                )}
              </div>
            )}
          </li>
        ))}
      </ol>
    </div>
  )
}
