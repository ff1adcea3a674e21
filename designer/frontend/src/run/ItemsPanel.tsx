/**
 * The step drawer of a node that runs per item: a map's items, a loop's iterations. Its progress,
 * the items a page at a time (filtered by status), and one item's attempts in full; the node's own
 * step (what it was given, what it gave) one switch away.
 */
import { useEffect, useRef, useState } from 'react'
import type { StepRun } from '../api/types'
import { STATUS_LABEL, formatDuration } from '../canvas/look'
import type { Config } from '../graph/types'
import { selectRunAttempt, useEditor } from '../state/store'
import { attemptsInOrder, chooseAttempt } from './attempt'
import { AttemptView } from './AttemptView'
import { useItemAttempts, useItemPages } from './items'
import { ProgressView } from './NodeProgress'
import { formatCount, itemFilters, itemName, itemNumber, runProgress, tally, type ItemGroup } from './progress'
import { AttemptPicker, RunError, StatusPill } from './RunDetails'
import { instanceUrl } from './RunDialog'
import { latestStep, type RunView } from './status'

const NO_CONFIG: Config = {}

export function ItemsPanel({ run, id, kind }: { run: RunView; id: string; kind: string }) {
  const config = useEditor((s) => s.nodes.find((n) => n.id === id)?.data.config) ?? NO_CONFIG
  const chosen = useEditor((s) => s.runAttempt)
  const rows = run.steps.get(id) ?? []
  const own = attemptsInOrder(rows.filter((r) => !r.item_key))
  const hasItems = rows.some((r) => !!r.item_key)
  const count = run.counts.get(id)
  const progress = runProgress(run, id, kind, config)
  const t = tally(hasItems && count ? count.by_status : {})
  const latestOwn = latestStep(own)
  // what changes when an item moves on: the lists below read their rows again then
  const version = `${JSON.stringify(count?.by_status ?? {})}|${count?.attempts ?? 0}|${latestOwn?.status ?? ''}`

  const [tab, setTab] = useState<'items' | 'step'>('items')
  const [group, setGroup] = useState<ItemGroup | 'all'>('all')
  const [item, setItem] = useState<string | null>(null)
  // a bar of the timeline chose one item's attempt: that item opens on it
  useEffect(() => {
    const step = chosen === null ? undefined : rows.find((r) => r.id === chosen)
    if (step?.item_key) {
      setTab('items')
      setItem(step.item_key)
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [chosen])

  const many = kind === 'loop' ? 'Iterations' : 'Items'
  const open = (key: string | null) => {
    setItem(key)
    selectRunAttempt(id, null) // the item shows its latest attempt until another is picked
  }
  return (
    <div className="fd-items-panel" data-testid="items-panel" data-kind={kind}>
      {progress && <ProgressView progress={progress} testid="drawer-progress" className="fd-drawer-progress" />}
      {latestOwn?.error && <RunError error={latestOwn.error} testid="node-error" />}
      <div className="fd-seg fd-items-tabs" role="group" aria-label="Show">
        <button type="button" className={tab === 'items' ? 'on' : ''} aria-pressed={tab === 'items'} onClick={() => setTab('items')} data-testid="tab-items">
          {many} <span className="fd-muted">{formatCount(t.total)}</span>
        </button>
        <button type="button" className={tab === 'step' ? 'on' : ''} aria-pressed={tab === 'step'} onClick={() => setTab('step')} data-testid="tab-node-step">
          {kind === 'loop' ? 'The loop' : 'The map'}: input and output
        </button>
      </div>
      {tab === 'step' ? (
        <OwnStep run={run} id={id} attempts={own} />
      ) : item !== null ? (
        <ItemView run={run} node={id} kind={kind} item={item} version={version} onBack={() => open(null)} />
      ) : (
        <ItemList run={run} node={id} kind={kind} group={group} onGroup={setGroup} counts={t} version={version} onOpen={open} started={hasItems || !!latestOwn} />
      )}
    </div>
  )
}

function OwnStep({ run, id, attempts }: { run: RunView; id: string; attempts: StepRun[] }) {
  const chosen = useEditor((s) => s.runAttempt)
  const attempt = chooseAttempt(attempts, chosen)
  if (!attempt) return <p className="fd-muted">Not started yet.</p>
  return (
    <>
      {attempts.length > 1 && <AttemptPicker node={id} attempts={attempts} shown={attempt} />}
      <AttemptView instanceId={run.instanceId} attempt={attempt} />
    </>
  )
}

interface ListProps {
  run: RunView
  node: string
  kind: string
  group: ItemGroup | 'all'
  onGroup: (g: ItemGroup | 'all') => void
  counts: ReturnType<typeof tally>
  version: string
  onOpen: (key: string) => void
  started: boolean
}

function ItemList({ run, node, kind, group, onGroup, counts, version, onOpen, started }: ListProps) {
  const filters = itemFilters(counts, group)
  const filter = filters.find((f) => f.group === group) ?? filters[0]
  const pages = useItemPages(run.instanceId, node, filter.statuses, version)
  const list = useRef<HTMLOListElement>(null)
  const many = kind === 'loop' ? 'iterations' : 'items'

  // ↑ and ↓ move between the rows (one Tab stop for the list would hide the child links)
  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return
    const rows = [...(list.current?.querySelectorAll<HTMLElement>('[data-testid="item-row"]') ?? [])]
    const at = rows.indexOf(document.activeElement as HTMLElement)
    const to = rows[at + (e.key === 'ArrowDown' ? 1 : -1)]
    if (at < 0 || !to) return
    e.preventDefault()
    to.focus()
  }

  return (
    <section className="fd-items" aria-label={kind === 'loop' ? 'Iterations' : 'Items'}>
      <div className="fd-item-filters" role="group" aria-label={`Show ${many} by status`}>
        {filters.map((f) => (
          <button
            key={f.group}
            type="button"
            className={`fd-item-filter g-${f.group}${f.group === group ? ' on' : ''}`}
            aria-pressed={f.group === group}
            onClick={() => onGroup(f.group)}
            data-testid="item-filter"
            data-group={f.group}
          >
            {f.label} <span className="fd-item-filter-n">{formatCount(f.count)}</span>
          </button>
        ))}
      </div>
      {pages.error && (
        <p className="fd-warn-text" role="alert">
          Could not read the {many}: {pages.error}{' '}
          <button type="button" className="fd-link-btn" onClick={pages.reload}>
            Try again
          </button>
        </p>
      )}
      {pages.rows.length > 0 ? (
        <>
          <div className="fd-item-head" aria-hidden="true">
            <span>{kind === 'loop' ? 'Iteration' : 'Item'}</span>
            <span>Status</span>
            <span className="num">Attempts</span>
            <span className="num">Took</span>
            <span />
          </div>
          <ol className="fd-item-rows" ref={list} onKeyDown={onKeyDown} data-testid="item-rows">
            {pages.rows.map((r) => (
              <ItemRow key={`${r.item_key}`} step={r} kind={kind} onOpen={onOpen} />
            ))}
          </ol>
        </>
      ) : (
        !pages.loading &&
        !pages.error && (
          <p className="fd-muted fd-items-empty" data-testid="items-empty">
            {!started ? 'Not started yet.' : group === 'all' ? `No ${many} yet.` : `No ${filter.label.toLowerCase()} ${many}.`}
          </p>
        )
      )}
      <div className="fd-items-foot">
        <span className="fd-muted" data-testid="items-shown">
          {pages.rows.length > 0 && `${formatCount(pages.rows.length)} of ${formatCount(filter.count)} shown`}
        </span>
        {pages.loading && <span className="fd-spinner" aria-label="loading" />}
        {pages.more && !pages.loading && (
          <button type="button" className="fd-btn small" onClick={pages.loadMore} data-testid="items-more">
            Show more
          </button>
        )}
      </div>
    </section>
  )
}

function ItemRow({ step, kind, onOpen }: { step: StepRun; kind: string; onOpen: (key: string) => void }) {
  const key = step.item_key ?? ''
  const name = itemName(kind, key)
  return (
    <li className="fd-item" data-status={step.status}>
      <button type="button" className="fd-item-row" onClick={() => onOpen(key)} data-testid="item-row" data-item={key} data-status={step.status} aria-label={`${name}: ${STATUS_LABEL[step.status] ?? step.status}`}>
        <span className="fd-item-name">{itemNumber(kind, key)}</span>
        <span className="fd-item-status">
          <span className={`fd-status-dot st-${step.status}`} aria-hidden="true" />
          {STATUS_LABEL[step.status] ?? step.status}
        </span>
        <span className={`num${step.attempt > 1 ? ' fd-item-retried' : ''}`}>{step.attempt}</span>
        <span className="num">{formatDuration(step.duration_ms)}</span>
      </button>
      {step.child ? (
        <a className="fd-item-child" href={instanceUrl(step.child)} title={`Open the instance ${name.toLowerCase()} started`} data-testid="item-child">
          child ↗
        </a>
      ) : (
        <span />
      )}
    </li>
  )
}

interface ItemViewProps {
  run: RunView
  node: string
  kind: string
  item: string
  version: string
  onBack: () => void
}

function ItemView({ run, node, kind, item, version, onBack }: ItemViewProps) {
  const chosen = useEditor((s) => s.runAttempt)
  const { attempts, error, loading } = useItemAttempts(run.instanceId, node, item, version)
  const ordered = attemptsInOrder(attempts)
  const attempt = chooseAttempt(ordered, chosen)
  const back = useRef<HTMLButtonElement>(null)
  useEffect(() => back.current?.focus({ preventScroll: true }), [item])
  const name = itemName(kind, item)
  return (
    <section className="fd-item-view" data-testid="item-view" data-item={item} aria-label={name}>
      <div className="fd-item-view-head">
        <button type="button" ref={back} className="fd-btn small" onClick={onBack} data-testid="items-back">
          ← All {kind === 'loop' ? 'iterations' : 'items'}
        </button>
        <h3>{name}</h3>
        {attempt && <StatusPill status={attempt.status} testid="item-status" />}
      </div>
      {error && <p className="fd-warn-text" role="alert">Could not read its attempts: {error}</p>}
      {attempt ? (
        <>
          {ordered.length > 1 && <AttemptPicker node={node} attempts={ordered} shown={attempt} name={(a) => `#${a.attempt}`} />}
          <AttemptView instanceId={run.instanceId} attempt={attempt} />
        </>
      ) : (
        !loading && !error && <p className="fd-muted">No attempt of this {kind === 'loop' ? 'iteration' : 'item'} yet.</p>
      )}
    </section>
  )
}
