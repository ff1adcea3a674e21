/**
 * A map's items (a loop's iterations) from the steps API, a page at a time: the detail inlines at
 * most 500 attempts, so a 10,000-item map's list is read as the operator scrolls it. While the run
 * goes on, the rows already read are read again when the node's counts change (at most every
 * REFRESH_MS), so each item's status follows without a request per event.
 */
import { useEffect, useRef, useState } from 'react'
import { enc, errorMessage, get } from '../api/client'
import type { CursorPage, StepRun } from '../api/types'
import { itemsQuery } from './progress'

const PAGE = 50
const MAX_PAGE = 500 // the API's largest page: a refresh re-reads at most this many rows
const REFRESH_MS = 1500

/** A `next` link (absolute) as a path the API client takes. */
const pathOf = (url: string) => {
  const u = new URL(url, window.location.origin)
  return u.pathname + u.search
}

const stepsPath = (instanceId: string, query: string) => `instances/${enc(instanceId)}/steps/?${query}`

/** Calls `load` now and again when `version` changes, no more often than every REFRESH_MS. */
function useThrottledReload(load: () => void, version: string, key: string) {
  const last = useRef(0)
  const timer = useRef<number | undefined>(undefined)
  const latest = useRef(load)
  latest.current = load
  useEffect(() => {
    last.current = 0 // a new list: at once
  }, [key])
  useEffect(() => {
    const wait = last.current + REFRESH_MS - Date.now()
    const run = () => {
      last.current = Date.now()
      latest.current()
    }
    window.clearTimeout(timer.current)
    if (wait <= 0) run()
    else timer.current = window.setTimeout(run, wait)
    return () => window.clearTimeout(timer.current)
  }, [version, key])
}

export interface ItemPages {
  rows: StepRun[]
  more: boolean
  loading: boolean
  error: string | null
  loadMore: () => void
  /** Reads the list again from its start (after an error). */
  reload: () => void
}

/** The items of `node` whose status is one of `statuses` (all when empty), each once as it stands. */
export function useItemPages(instanceId: string, node: string, statuses: readonly string[], version: string): ItemPages {
  const key = `${instanceId}\u0000${node}\u0000${statuses.join(',')}`
  const [state, setState] = useState<{ key: string; rows: StepRun[]; next: string | null; loading: boolean; error: string | null }>({ key, rows: [], next: null, loading: true, error: null })
  const current = state.key === key ? state : { key, rows: [], next: null, loading: true, error: null }
  const shown = useRef(PAGE)
  shown.current = Math.max(PAGE, current.rows.length)
  const seq = useRef(0)

  const fetchPage = (path: string, append: boolean) => {
    const n = ++seq.current
    setState((s) => ({ ...(s.key === key ? s : { key, rows: [], next: null }), loading: true, error: null }))
    get<CursorPage<StepRun>>(path).then(
      (page) => {
        if (n !== seq.current) return // a newer read (another filter, a refresh) answers instead
        setState((s) => ({ key, rows: append && s.key === key ? [...s.rows, ...page.results] : page.results, next: page.next, loading: false, error: null }))
      },
      (e) => {
        if (n !== seq.current) return
        setState((s) => ({ ...(s.key === key ? s : { key, rows: [], next: null }), loading: false, error: errorMessage(e) }))
      },
    )
  }

  // the first page, and the rows already read again as the run moves on
  const reload = () => fetchPage(stepsPath(instanceId, itemsQuery(node, statuses, Math.min(MAX_PAGE, shown.current))), false)
  useThrottledReload(reload, version, key)

  return {
    rows: current.rows,
    more: current.next !== null,
    loading: current.loading,
    error: current.error,
    loadMore: () => {
      if (current.next && !current.loading) fetchPage(pathOf(current.next), true)
    },
    reload,
  }
}

/** Every attempt of one item, oldest first (an item has a handful: no paging). */
export function useItemAttempts(instanceId: string, node: string, item: string, version: string): { attempts: StepRun[]; error: string | null; loading: boolean } {
  const key = `${instanceId}\u0000${node}\u0000${item}`
  const [state, setState] = useState<{ key: string; attempts: StepRun[]; error: string | null; loading: boolean }>({ key, attempts: [], error: null, loading: true })
  const seq = useRef(0)
  useThrottledReload(
    () => {
      const n = ++seq.current
      const q = new URLSearchParams({ node, item, order: 'node', limit: String(MAX_PAGE) })
      get<CursorPage<StepRun>>(stepsPath(instanceId, q.toString())).then(
        (page) => n === seq.current && setState({ key, attempts: page.results, error: null, loading: false }),
        (e) => n === seq.current && setState((s) => ({ ...s, key, error: errorMessage(e), loading: false })),
      )
    },
    version,
    key,
  )
  return state.key === key ? state : { attempts: [], error: null, loading: true }
}
