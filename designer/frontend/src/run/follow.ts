/**
 * Follows an instance live: its events arrive over a WebSocket as they commit (DESIGN §6), and each
 * burst of them refreshes the instance's detail. A socket that drops is reopened with the last
 * `seq` seen, so nothing is missed; while it is down, the page polls every second instead.
 * A run that ends is followed until its last event has arrived (a retry can finish before the
 * socket's catch-up does); without a socket, ``onMissed`` is told which events to fetch.
 */
import { errorMessage, get, enc } from '../api/client'
import type { InstanceDetail } from '../api/types'
import type { InstanceEvent } from './events'
import { FINAL_INSTANCE } from './status'

export interface Poller {
  stop(): void
}

export type FollowMode = 'socket' | 'polling' | 'done'

export function socketUrl(id: string, after: number, where: Pick<Location, 'protocol' | 'host'> = window.location): string {
  return `${where.protocol === 'https:' ? 'wss' : 'ws'}://${where.host}/ws/instances/${enc(id)}/?after=${after}`
}

export function followInstance(
  id: string,
  onUpdate: (instance: InstanceDetail) => void,
  onError: (message: string) => void,
  onMode: (mode: FollowMode) => void = () => undefined,
  intervalMs = 1000,
  onEvent: (event: InstanceEvent) => void = () => undefined,
  startAfter = 0,
  onMissed: (after: number) => void = () => undefined,
): Poller {
  const mark = (mode: FollowMode) => {
    const w = window as unknown as { __flowdesk?: Record<string, unknown> }
    w.__flowdesk = { ...(w.__flowdesk ?? {}), live: mode } // read by the browser tests
    onMode(mode)
  }
  let stopped = false
  let lastSeq = startAfter
  let finalSeq: number | null = null // the run ended with this event: stop once it has arrived
  let socket: WebSocket | null = null
  let pollTimer: number | undefined
  let refreshTimer: number | undefined
  let reconnectDelay = 500
  let fetching = false
  let again = false

  const stop = () => {
    stopped = true
    window.clearTimeout(pollTimer)
    window.clearTimeout(refreshTimer)
    socket?.close()
    socket = null
  }

  const refresh = async () => {
    if (fetching) {
      again = true // one more fetch when this one is back: events arrived meanwhile
      return
    }
    fetching = true
    try {
      const instance = await get<InstanceDetail>(`instances/${enc(id)}/`)
      if (stopped) return
      onUpdate(instance)
      if (FINAL_INSTANCE.has(instance.status)) {
        const last = instance.last_seq ?? 0
        const open = socket !== null && (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING)
        if (lastSeq < last && open) {
          finalSeq = last // its catch-up is on the way
          return
        }
        finish()
      }
    } catch (e) {
      if (!stopped) onError(`${errorMessage(e)} — retrying`)
    } finally {
      fetching = false
      if (again && !stopped) {
        again = false
        void refresh()
      }
    }
  }

  const finish = () => {
    if (stopped) return
    if (finalSeq !== null && lastSeq < finalSeq) onMissed(lastSeq)
    mark('done')
    stop()
  }

  const poll = () => {
    window.clearTimeout(pollTimer)
    if (stopped || socket?.readyState === WebSocket.OPEN) return
    mark('polling')
    void refresh()
    pollTimer = window.setTimeout(poll, intervalMs)
  }

  const connect = () => {
    if (stopped) return
    if (typeof WebSocket === 'undefined') return poll()
    const ws = new WebSocket(socketUrl(id, lastSeq))
    socket = ws
    ws.onopen = () => {
      reconnectDelay = 500
      window.clearTimeout(pollTimer)
      mark('socket')
      void refresh() // what happened while the socket was down
    }
    ws.onmessage = (message) => {
      const event = JSON.parse(String(message.data)) as InstanceEvent
      lastSeq = Math.max(lastSeq, event.seq)
      onEvent(event) // the history panel appends it
      if (finalSeq !== null && lastSeq >= finalSeq) return finish()
      window.clearTimeout(refreshTimer)
      refreshTimer = window.setTimeout(() => void refresh(), 60) // one fetch per burst of events
    }
    ws.onclose = () => {
      if (socket !== ws || stopped) return
      socket = null
      if (finalSeq !== null) return finish()
      poll()
      window.setTimeout(connect, reconnectDelay)
      reconnectDelay = Math.min(reconnectDelay * 2, 10_000)
    }
  }

  void refresh()
  connect()
  return { stop }
}
