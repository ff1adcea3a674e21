/** Checks an expression or template with the server as it is typed (results cached by text). */
import { ApiError, post } from '../api/client'

export interface CheckResult {
  valid: boolean
  message: string | null
}

const cache = new Map<string, CheckResult>()
let available = true

export async function checkExpression(text: string, kind: 'expression' | 'template', signal?: AbortSignal): Promise<CheckResult | null> {
  if (!available || text.trim() === '') return null
  const key = `${kind}\u0000${text}`
  const hit = cache.get(key)
  if (hit) return hit
  try {
    const result = await post<CheckResult>('expressions/check/', { text, kind }, { signal })
    if (cache.size > 500) cache.clear()
    cache.set(key, result)
    return result
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405)) available = false // not on this server
    if (e instanceof ApiError && e.status === 400) {
      return { valid: false, message: e.errors[0]?.message ?? e.message }
    }
    return null
  }
}
