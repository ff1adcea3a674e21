import type { ApiFieldError } from '../api/types'
import { focusNode, setProblemsOpen, setRightTab, togglePlan, useEditor, useNodeLabel } from '../state/store'
import { validateNow } from './validator'

const target = (e: ApiFieldError) => e.node ?? e.nodes?.[0] ?? null

/** The problems the server found, each jumping to its node; and the parallel plan when valid. */
export function ProblemsPanel() {
  const v = useEditor((s) => s.validation)
  const open = useEditor((s) => s.problemsOpen)
  const showPlan = useEditor((s) => s.showPlan)
  const count = v.errors.length
  const batches = v.plan ?? []
  const widest = batches.reduce((m, b) => Math.max(m, b.length), 0)

  let headline: React.ReactNode
  if (v.status === 'checking') headline = <span className="fd-muted">Checking…</span>
  else if (v.status === 'error') headline = <span className="fd-warn-text">{v.message}</span>
  else if (count > 0) headline = <span className="fd-bad-text">{count === 1 ? '1 problem' : `${count} problems`}</span>
  else if (v.status === 'valid') headline = <span className="fd-ok-text">No problems: ready to publish</span>
  else headline = <span className="fd-muted">Not checked yet</span>

  return (
    <section className={`fd-problems ${open ? 'is-open' : ''}`} aria-label="Problems" data-testid="problems">
      <header className="fd-problems-head">
        <button type="button" className="fd-problems-toggle" aria-expanded={open} onClick={() => setProblemsOpen(!open)} data-testid="btn-problems">
          <span className="fd-caret" aria-hidden="true">
            {open ? '▾' : '▸'}
          </span>
          Problems <span className={`fd-count ${count ? 'bad' : ''}`}>{count}</span>
        </button>
        <span className="fd-problems-status" data-testid="validation-status" data-state={v.status}>
          {headline}
        </span>
        {v.plan && (
          <span className="fd-muted fd-plan-summary" data-testid="plan-summary">
            Plan: {batches.length} {batches.length === 1 ? 'batch' : 'batches'}, up to {widest} in parallel
          </span>
        )}
        <span className="fd-spacer" />
        {v.plan && (
          <button type="button" className={`fd-btn small ${showPlan ? 'on' : ''}`} aria-pressed={showPlan} onClick={togglePlan}>
            {showPlan ? 'Hide plan' : 'Show plan'}
          </button>
        )}
        <button type="button" className="fd-btn small" onClick={() => void validateNow(true)}>
          Check again
        </button>
      </header>
      {open && (
        <div className="fd-problems-body">
          {count === 0 && v.status !== 'error' && <p className="fd-muted fd-pad">Nothing to fix. {v.plan ? 'Show the plan to see which steps run in parallel.' : ''}</p>}
          {count > 0 && (
            <ul className="fd-problem-list">
              {v.errors.map((e, i) => {
                const node = target(e)
                return (
                  <li key={i}>
                    <button
                      type="button"
                      className="fd-problem"
                      data-testid={`problem-${node ?? 'workflow'}`}
                      onClick={() => {
                        if (node) focusNode(node)
                        else {
                          useEditor.setState({ selectedIds: [] })
                          setRightTab('inspector')
                        }
                      }}
                    >
                      <span className="fd-problem-icon" aria-hidden="true">
                        !
                      </span>
                      <span className="fd-problem-where">{node ? <NodeName id={node} /> : 'Workflow'}</span>
                      {node && <code className="fd-problem-id">{node}</code>}
                      <span className="fd-problem-msg">{e.message}</span>
                      {e.field && <code className="fd-problem-field">{e.field}</code>}
                    </button>
                  </li>
                )
              })}
            </ul>
          )}
          {showPlan && v.plan && (
            <ol className="fd-plan-list" data-testid="plan">
              {batches.map((b, i) => (
                <li key={i}>
                  <span className="fd-node-batch static">{i + 1}</span>
                  {b.map((id) => (
                    <button type="button" key={id} className="fd-chip" onClick={() => focusNode(id)}>
                      <NodeName id={id} />
                    </button>
                  ))}
                </li>
              ))}
            </ol>
          )}
        </div>
      )}
    </section>
  )
}

function NodeName({ id }: { id: string }) {
  return <>{useNodeLabel(id)}</>
}
