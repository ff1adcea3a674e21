/**
 * A heartbeat changes a running step's row but writes no event (it would flood the history), so
 * the socket does not announce it: while a step of the instance is running and reports heartbeats
 * (or its node sets `heartbeat_s`), the page re-reads the instance every two seconds.
 */
import { useEffect } from 'react'
import { enc, get } from '../api/client'
import type { InstanceDetail } from '../api/types'
import { showInstance } from '../run/testRun'
import { useEditor } from '../state/store'

const EVERY_MS = 2000

export function useHeartbeatRefresh() {
  const id = useEditor((s) => s.run?.instanceId ?? null)
  const beating = useEditor((s) => {
    if (!s.run || s.run.final) return false
    const configured = new Set(s.nodes.filter((n) => n.data.config?.heartbeat_s !== undefined).map((n) => n.id))
    return s.run.instance.steps.some((step) => step.status === 'running' && (step.heartbeat_at || configured.has(step.node)))
  })
  useEffect(() => {
    if (!id || !beating) return
    const timer = window.setInterval(() => {
      get<InstanceDetail>(`instances/${enc(id)}/`).then(showInstance, () => undefined)
    }, EVERY_MS)
    return () => window.clearInterval(timer)
  }, [id, beating])
}
