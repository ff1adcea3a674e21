/** The instance page's open approval tasks: who holds each, since when, when it is due, and a
 *  link to its page in the inbox. Read-only: reviewers act on the task page. */
import './approval.css'
import { enc } from '../api/client'
import { useInstanceRead } from '../operate/useInstanceRead'
import { formatWhen } from '../ui/when'
import { dueText, heldFor, holders, type OpenTask } from './openTasks'

export function OpenTasksSection({ instanceId }: { instanceId: string }) {
  const { data, error } = useInstanceRead<{ tasks: OpenTask[] }>(`/instances/${enc(instanceId)}/?tasks=open`)
  const tasks = data?.tasks ?? []
  if (!tasks.length && !error) return null
  const now = Date.now()
  return (
    <section className="fd-operate" data-testid="open-tasks" aria-labelledby="fd-open-tasks-title">
      <h3 className="fd-label" id="fd-open-tasks-title">
        Waiting for approval <span className="fd-muted">({tasks.length})</span>
      </h3>
      {error && <p className="fd-bad-text">{error}</p>}
      <ul className="fd-task-list">
        {tasks.map((t) => {
          const who = holders(t)
          const due = dueText(t, now)
          return (
            <li key={t.id} className={t.overdue ? 'is-overdue' : ''} data-testid="open-task" data-task={t.id} data-node={t.node} data-overdue={t.overdue}>
              <a className="fd-link fd-task-title" href={t.url} data-testid="open-task-link">
                {t.title}
              </a>
              <div className="fd-task-meta" data-testid="open-task-holder">
                {who.claimed ? (
                  <>
                    claimed by <b>{who.text}</b>
                  </>
                ) : (
                  <>
                    offered to <b>{who.text}</b>
                  </>
                )}
                <span className="fd-muted">
                  {' '}· since {formatWhen(t.since)} ({heldFor(t, now)})
                </span>
              </div>
              <div className="fd-task-meta">
                step <code>{t.node}</code>
                {t.quorum > 1 && <> · {t.quorum} must approve</>}
                {due && (
                  <>
                    {' '}·{' '}
                    <span className={t.overdue ? 'fd-task-overdue' : ''} data-testid="open-task-due" title={formatWhen(t.due_at)}>
                      {due}
                    </span>
                  </>
                )}
              </div>
            </li>
          )
        })}
      </ul>
    </section>
  )
}
