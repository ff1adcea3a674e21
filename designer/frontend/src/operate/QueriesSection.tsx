/** The instance's named queries (declared in its graph) with their values now, and a box to ask
 * any expression over its input, vars, steps and instance. */
import { useState } from 'react'
import { ApiError, enc, errorMessage, get } from '../api/client'
import type { NamedQuery } from '../api/types'
import type { Json } from '../graph/types'
import { useInstanceRead } from './useInstanceRead'

const text = (value: Json): string => {
  const t = JSON.stringify(value, null, 2)
  return t === undefined ? 'null' : t
}

export function QueriesSection({ instanceId, names }: { instanceId: string; names: readonly string[] }) {
  const { data, error } = useInstanceRead<{ results: NamedQuery[] }>(names.length ? `instances/${enc(instanceId)}/queries/` : null)
  return (
    <section className="fd-operate" data-testid="queries-section" aria-labelledby="fd-queries-title">
      <h3 className="fd-label" id="fd-queries-title">
        Queries
      </h3>
      {names.length > 0 && (
        <dl className="fd-facts fd-queries" data-testid="named-queries">
          {error && <dd className="fd-bad-text">{error}</dd>}
          {(data?.results ?? names.map((n) => ({ name: n, expression: '', value: null, error: null }) as NamedQuery)).map((q) => (
            <div key={q.name} className="fd-query-row" data-testid="named-query" data-name={q.name}>
              <dt title={q.expression}>
                <code>{q.name}</code>
              </dt>
              <dd>
                {q.error ? (
                  <span className="fd-muted" title={q.error} data-testid="named-query-error">
                    not available now: {q.error}
                  </span>
                ) : data ? (
                  <code className="fd-query-value" data-testid="named-query-value">
                    {JSON.stringify(q.value)}
                  </code>
                ) : (
                  <span className="fd-muted">…</span>
                )}
              </dd>
            </div>
          ))}
        </dl>
      )}
      <QueryBox instanceId={instanceId} />
    </section>
  )
}

function QueryBox({ instanceId }: { instanceId: string }) {
  const [expr, setExpr] = useState('')
  const [busy, setBusy] = useState(false)
  const [result, setResult] = useState<{ ok: true; value: Json } | { ok: false; message: string } | null>(null)

  const ask = async () => {
    if (!expr.trim()) {
      setResult({ ok: false, message: 'Write an expression, e.g. steps.review.output.approved' })
      return
    }
    setBusy(true)
    try {
      const answer = await get<{ value: Json }>(`instances/${enc(instanceId)}/query/?expr=${enc(expr)}`)
      setResult({ ok: true, value: answer.value })
    } catch (e) {
      setResult({ ok: false, message: e instanceof ApiError && e.status === 400 ? e.message : errorMessage(e) })
    } finally {
      setBusy(false)
    }
  }

  return (
    <form
      className="fd-query-box"
      onSubmit={(e) => {
        e.preventDefault()
        void ask()
      }}
    >
      <label className="fd-visually-hidden" htmlFor="fd-query-expr">
        Expression
      </label>
      <div className="fd-query-line">
        <input
          id="fd-query-expr"
          className="fd-mono"
          value={expr}
          maxLength={2000}
          spellCheck={false}
          autoComplete="off"
          placeholder="steps.charge.output.amount > 100"
          onChange={(e) => setExpr(e.target.value)}
          data-testid="query-expr"
        />
        <button type="submit" className="fd-btn small" disabled={busy} data-testid="query-ask">
          {busy ? 'Asking…' : 'Ask'}
        </button>
      </div>
      <p className="fd-help">Any expression over input, vars, steps.&lt;id&gt;.output / .status and instance; read-only.</p>
      {result &&
        (result.ok ? (
          <pre className="fd-query-result" data-testid="query-result">
            {text(result.value)}
          </pre>
        ) : (
          <p className="fd-bad-text" role="alert" data-testid="query-error">
            {result.message}
          </p>
        ))}
    </form>
  )
}
