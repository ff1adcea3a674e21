import { useMemo, useState } from 'react'
import { pretty } from '../graph/json'
import type { Json } from '../graph/types'
import { currentDoc, useEditor } from '../state/store'
import { RunError, RunSummary, StatusPill, StepDetails } from './RunDetails'
import { buildMocks, NEW_MOCK, parseInputObject, startingInput, type MockDraft } from './inputs'
import { instanceUrl, SuggestedFrom } from './RunDialog'
import { clearRun, startTestRun } from './testRun'

/** Input and mocks for a test run of the draft, and what it did, drawn on the canvas. */
export function TestRunPanel() {
  const example = useEditor((s) => s.template?.example_input)
  const canEdit = useEditor((s) => s.boot.canEdit)
  // worker steps (not decided inline) may be mocked; a string key keeps drags from re-rendering this
  const workersKey = useEditor((s) =>
    s.nodes
      .filter((n) => s.types[n.data.kind] && !s.types[n.data.kind].inline)
      .map((n) => `${n.id}\u0001${n.data.label || n.id}\u0001${n.data.kind}`)
      .join('\u0000'),
  )
  const workers = useMemo(() => (workersKey ? workersKey.split('\u0000').map((r) => r.split('\u0001')) : []), [workersKey])
  const run = useEditor((s) => s.run)
  const runError = useEditor((s) => s.runError)
  const selected = useEditor((s) => s.runSelected)
  const [initial] = useState(() => startingInput(example, currentDoc().nodes, useEditor.getState().handlers))
  const [input, setInput] = useState(() => pretty(initial.value))
  const [mocks, setMocks] = useState<ReadonlyMap<string, MockDraft>>(() => new Map())
  const [busy, setBusy] = useState(false)
  const [message, setMessage] = useState<string | null>(null)
  const parsed = parseInputObject(input)

  const setMock = (id: string, patch: Partial<MockDraft>) => setMocks((m) => new Map(m).set(id, { ...(m.get(id) ?? NEW_MOCK), ...patch }))

  const start = async () => {
    setMessage(null)
    if (parsed.error) return
    const built = buildMocks(new Map([...mocks].filter(([id]) => workers.some((w) => w[0] === id))))
    if (built.error) {
      setMessage(built.error)
      return
    }
    setBusy(true)
    try {
      await startTestRun(parsed.value as Json, built.mocks)
    } catch (e) {
      setMessage((e as Error).message)
    } finally {
      setBusy(false)
    }
  }

  const form = (
    <>
      <label className="fd-label" htmlFor="fd-test-input">
        Input (a JSON object)
      </label>
      <textarea id="fd-test-input" className="fd-mono" rows={5} value={input} spellCheck={false} onChange={(e) => setInput(e.target.value)} data-testid="test-input" aria-invalid={!!parsed.error} aria-describedby={initial.suggestedFrom.length ? 'fd-test-suggested' : undefined} />
      <SuggestedFrom id="fd-test-suggested" steps={initial.suggestedFrom} />
      {parsed.error && <div className="fd-field-errors">{parsed.error}</div>}

      <details className="fd-section" open={workers.length > 0 && workers.length <= 8}>
        <summary>
          Mocks ({[...mocks].filter(([id, m]) => m.mode !== 'real' && workers.some((w) => w[0] === id)).length} of {workers.length} worker steps)
        </summary>
        {workers.length === 0 && <p className="fd-muted">No task or HTTP steps to mock.</p>}
        {workers.map(([id, label]) => {
          const m = mocks.get(id) ?? NEW_MOCK
          return (
            <div className="fd-mock" key={id} data-testid={`mock-${id}`}>
              <div className="fd-mock-head">
                <span className="fd-mock-name" title={id}>
                  {label} <code>{id}</code>
                </span>
                <select aria-label={`How ${id} runs`} value={m.mode} onChange={(e) => setMock(id, { mode: e.target.value as MockDraft['mode'] })} data-testid={`mock-mode-${id}`}>
                  <option value="real">runs for real</option>
                  <option value="output">returns…</option>
                  <option value="fail">fails with…</option>
                </select>
              </div>
              {m.mode === 'output' && (
                <textarea className="fd-mono" rows={3} aria-label={`Mocked output of ${id}`} value={m.output} spellCheck={false} onChange={(e) => setMock(id, { output: e.target.value })} data-testid={`mock-output-${id}`} />
              )}
              {m.mode === 'fail' && (
                <div className="fd-mock-fail">
                  <input type="text" className="fd-mono" aria-label={`Error type of ${id}`} value={m.type} onChange={(e) => setMock(id, { type: e.target.value })} data-testid={`mock-fail-type-${id}`} />
                  <input type="text" aria-label={`Error message of ${id}`} value={m.message} onChange={(e) => setMock(id, { message: e.target.value })} data-testid={`mock-fail-message-${id}`} />
                </div>
              )}
            </div>
          )
        })}
      </details>

      <div className="fd-row">
        <button type="button" className="fd-btn primary" disabled={busy || !!parsed.error || !canEdit} onClick={() => void start()} data-testid="btn-start-test-run">
          {busy ? 'Starting…' : run ? 'Run again' : 'Start test run'}
        </button>
        {run && (
          <button type="button" className="fd-btn" onClick={clearRun} data-testid="btn-clear-run">
            Clear
          </button>
        )}
      </div>
      {!canEdit && <p className="fd-help">Test runs need the analyst role.</p>}
      {message && (
        <p className="fd-bad-text" role="alert" data-testid="test-run-error">
          {message}
        </p>
      )}
    </>
  )

  return (
    <div className="fd-testrun" data-testid="test-run-panel">
      {run ? (
        <>
          <section className="fd-run-box first" data-testid="test-run-result" data-status={run.status}>
            <div className="fd-run-head">
              <StatusPill status={run.status} testid="test-run-status" />
              {!run.final && <span className="fd-spinner" aria-label="running" />}
              <span className="fd-spacer" />
              <a href={instanceUrl(run.instanceId)} className="fd-link" target="_blank" rel="noreferrer">
                Open instance ↗
              </a>
            </div>
            {runError && <p className="fd-warn-text">{runError}</p>}
            <RunSummary run={run} />
            <RunError error={run.instance.error} testid="test-run-instance-error" />
            {run.final && run.instance.output !== null && run.instance.output !== undefined && (
              <details>
                <summary>Workflow output</summary>
                <pre className="fd-pre" data-testid="test-run-output">
                  {pretty(run.instance.output)}
                </pre>
              </details>
            )}
            {selected ? <StepDetails run={run} id={selected} /> : <p className="fd-help">Click a step on the canvas to see its output.</p>}
          </section>
          <details className="fd-section" open>
            <summary>Input and mocks</summary>
            {form}
          </details>
        </>
      ) : (
        <>
          <p className="fd-help">Runs the current draft for real. Mock any task or HTTP step to return an output or to fail, and see the path taken on the canvas.</p>
          {form}
        </>
      )}
    </div>
  )
}
