/**
 * Named queries (`settings.queries`): rows of a name and a bare expression over the instance, each
 * expression checked by the server as it is typed, each row showing its own problems (a name the
 * rule refuses at once; the server's `settings.queries.NAME` errors when it has checked).
 */
import { useEffect, useId, useRef, useState } from 'react'
import { canonical } from '../graph/json'
import type { Json, JsonSchema } from '../graph/types'
import { getAt } from '../schema/form'
import { errorsOfAll, errorsOfQuery, nameProblems, namePattern, rowsOf, valueOf, type QueryRow } from '../schema/queries'
import { bare, plainest } from './messages'
import { ExpressionInput, type FieldContext } from './fields'

export function QueriesField({ ctx, path, schema, title }: { ctx: FieldContext; path: string[]; schema: JsonSchema; title: string }) {
  const full = `${ctx.base}.${path.join('.')}`
  const value = getAt(ctx.root, path) as Json | undefined
  const [rows, setRows] = useState<QueryRow[]>(() => rowsOf(value, true))
  const lastSent = useRef(canonical(value ?? {}))
  useEffect(() => {
    // changed elsewhere (undo, another tab's save): the rows follow
    if (canonical(value ?? {}) !== lastSent.current) {
      setRows(rowsOf(value))
      lastSent.current = canonical(value ?? {})
    }
  }, [value])
  const update = (next: QueryRow[]) => {
    setRows(next)
    const v = valueOf(next)
    lastSent.current = canonical(v ?? {})
    ctx.onChange(path, v)
  }
  const problems = nameProblems(rows, namePattern(schema))
  // the server's verdict on a name ("'a b' does not match '^…'") is said on the row once the rule flags it there
  const whole = errorsOfAll(ctx.errors, full).filter((e) => !(problems.some(Boolean) && / does not match '\^/.test(e.message)))
  const max = typeof schema.maxProperties === 'number' ? schema.maxProperties : 50
  const labelId = useId()
  return (
    <div className={`fd-field ${whole.length || problems.some(Boolean) ? 'has-error' : ''}`} data-field={full} data-testid={`field-${full}`}>
      <span className="fd-label" id={labelId}>
        {title}
      </span>
      {schema.description && <div className="fd-help">{schema.description}</div>}
      <div className="fd-queries" role="group" aria-labelledby={labelId}>
        {rows.map(([name, expression], i) => (
          <QueryRowView
            key={i}
            index={i}
            testid={full}
            name={name}
            expression={expression}
            problem={problems[i]}
            errors={plainest(errorsOfQuery(ctx.errors, full, name)).map((e) => bare(e.message, e.field ?? full))}
            disabled={ctx.disabled}
            onName={(n) => update(rows.map((r, j) => (j === i ? [n, r[1]] : r)))}
            onExpression={(x) => update(rows.map((r, j) => (j === i ? [r[0], x] : r)))}
            onRemove={() => update(rows.filter((_, j) => j !== i))}
          />
        ))}
        {rows.length === 0 && <div className="fd-help fd-queries-empty">No queries: operators can still ask an instance anything in the query box of its page.</div>}
      </div>
      {!ctx.disabled && rows.length < max && (
        <button type="button" className="fd-link-btn" data-testid={`add-${full}`} onClick={() => setRows([...rows, ['', '']])}>
          + Add query
        </button>
      )}
      {whole.length > 0 && (
        <div className="fd-field-errors" data-testid={`field-error-${full}`} role="alert">
          {whole.map((e, i) => (
            <div key={i}>{bare(e.message, e.field ?? full)}</div>
          ))}
        </div>
      )}
    </div>
  )
}

interface RowProps {
  index: number
  testid: string
  name: string
  expression: string
  problem: string | null
  errors: string[]
  disabled: boolean
  onName(name: string): void
  onExpression(expression: string): void
  onRemove(): void
}

function QueryRowView({ index, testid, name, expression, problem, errors, disabled, onName, onExpression, onRemove }: RowProps) {
  const exprId = useId()
  const bad = !!problem || errors.length > 0
  return (
    <div className={`fd-query ${bad ? 'has-error' : ''}`} data-testid={`query-${index}`} data-query={name}>
      <div className="fd-query-head">
        <input
          type="text"
          className="fd-mono"
          placeholder="name, e.g. progress"
          aria-label={`query ${index + 1} name`}
          aria-invalid={!!problem}
          data-testid={`field-${testid}.${index}.name`}
          value={name}
          maxLength={64}
          disabled={disabled}
          onChange={(e) => onName(e.target.value)}
        />
        <button type="button" className="fd-icon-btn" title="Remove" aria-label={`Remove query ${name || index + 1}`} disabled={disabled} onClick={onRemove} data-testid={`remove-${testid}.${index}`}>
          ×
        </button>
      </div>
      <label className="fd-visually-hidden" htmlFor={exprId}>
        query {index + 1} expression
      </label>
      <ExpressionInput
        id={exprId}
        testid={`${testid}.${index}.expression`}
        value={expression === '' ? undefined : expression}
        kind="expression"
        disabled={disabled}
        placeholder="e.g. steps.review.status"
        said={errors}
        onChange={(v) => onExpression(typeof v === 'string' ? v : '')}
      />
      {(problem || errors.length > 0) && (
        <div className="fd-field-errors" role="alert" data-testid={`field-error-${testid}.${index}`}>
          {problem && <div>{problem}</div>}
          {errors.map((m, i) => (
            <div key={i}>{m}</div>
          ))}
        </div>
      )}
    </div>
  )
}
