/** The instance page's controls (cancel, retry, pause, resume, signal): whether each is allowed now, and if not, why (in words). */
import { STATUS_LABEL } from '../canvas/look'

export type ControlAction = 'cancel' | 'retry'
export type SteerAction = 'pause' | 'resume' | 'signal'

export const CANCELLABLE = new Set(['pending', 'running', 'paused'])

/** The API's refusal (roles.CONTROL_REFUSED), said before the click instead of after it. */
export const ROLE_REFUSED = 'Only operators may cancel, retry, pause, resume or signal instances.'

/** null when the action is allowed; else the reason, checked as the engine checks it (services.cancel_instance / retry_instance). */
export function controlRefusal(action: ControlAction, status: string, canControl: boolean): string | null {
  if (!canControl) return ROLE_REFUSED
  const label = (STATUS_LABEL[status] ?? status).toLowerCase()
  if (action === 'cancel' && !CANCELLABLE.has(status)) return `It is ${label}: only a pending, running or paused instance can be cancelled.`
  if (action === 'retry' && status !== 'failed') return `It is ${label}: only a failed instance can be retried.`
  return null
}

/** null when pause, resume or a signal is allowed now; else why not (the engine's checks, said before the click). */
export function steerRefusal(action: SteerAction, status: string, canControl: boolean): string | null {
  if (!canControl) return ROLE_REFUSED
  const label = (STATUS_LABEL[status] ?? status).toLowerCase()
  if (action === 'pause' && status !== 'running') return `It is ${label}: only a running instance can be paused.`
  if (action === 'resume' && status !== 'paused') return `It is ${label}: only a paused instance can be resumed.`
  if (action === 'signal' && !CANCELLABLE.has(status)) return `It is ${label}: signals go to a pending, running or paused instance.`
  return null
}

/** The lines under the buttons: each distinct reason once, and one line when neither applies to the state. */
export function controlReasons(status: string, canControl: boolean): string[] {
  const cancel = controlRefusal('cancel', status, canControl)
  const retry = controlRefusal('retry', status, canControl)
  if (cancel && retry && canControl) return [`It is ${(STATUS_LABEL[status] ?? status).toLowerCase()}: there is nothing to cancel or retry.`]
  return [...new Set([cancel, retry].filter((r): r is string => r !== null))]
}
