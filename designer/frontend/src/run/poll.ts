/** Polls an instance every second until it reaches a final status (live WebSocket updates come later). */
import { errorMessage, get, enc } from '../api/client'
import type { InstanceDetail } from '../api/types'
import { FINAL_INSTANCE } from './status'

export interface Poller {
  stop(): void
}

export function pollInstance(
  id: string,
  onUpdate: (instance: InstanceDetail) => void,
  onError: (message: string) => void,
  intervalMs = 1000,
): Poller {
  let stopped = false
  let timer: number | undefined
  let delay = intervalMs
  const tick = async () => {
    if (stopped) return
    try {
      const instance = await get<InstanceDetail>(`instances/${enc(id)}/`)
      if (stopped) return
      delay = intervalMs
      onUpdate(instance)
      if (FINAL_INSTANCE.has(instance.status)) return
    } catch (e) {
      if (stopped) return
      delay = Math.min(delay * 2, 10_000)
      onError(`${errorMessage(e)} — retrying`)
    }
    timer = window.setTimeout(tick, delay)
  }
  void tick()
  return {
    stop() {
      stopped = true
      window.clearTimeout(timer)
    },
  }
}
