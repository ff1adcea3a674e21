import { useEffect, useRef, useState } from 'react'
import { errorMessage, get } from '../api/client'
import { useEditor } from '../state/store'
import { useOperateRefresh } from './refresh'

/** GET `path` now, again when the instance's history moves on (its `last_seq`, at most every
 * 500 ms while events keep coming) and when this page asks (`requestOperateRefresh`). */
export function useInstanceRead<T>(path: string | null): { data: T | null; error: string | null } {
  const seq = useEditor((s) => s.run?.instance.last_seq ?? 0)
  const tick = useOperateRefresh((s) => s.tick)
  const [data, setData] = useState<T | null>(null)
  const [error, setError] = useState<string | null>(null)
  const last = useRef(0)
  useEffect(() => {
    if (!path) return
    let live = true
    const wait = Math.max(0, 500 - (Date.now() - last.current))
    const timer = window.setTimeout(() => {
      last.current = Date.now()
      get<T>(path).then(
        (d) => {
          if (!live) return
          setData(d)
          setError(null)
        },
        (e) => live && setError(errorMessage(e)),
      )
    }, wait)
    return () => {
      live = false
      window.clearTimeout(timer)
    }
  }, [path, seq, tick])
  return { data, error }
}
