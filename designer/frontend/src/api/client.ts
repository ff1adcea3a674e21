/** The JSON API with the browser's Django session: same-origin cookies and the CSRF token. */
import type { ApiFieldError } from './types'

export const API_ROOT = '/api/v1/'

/** The server answered with an error status; `body` is its JSON error ({detail, code, errors}). */
export class ApiError extends Error {
  readonly status: number
  readonly code: string | undefined
  readonly errors: ApiFieldError[]
  readonly body: Record<string, unknown>

  constructor(status: number, body: Record<string, unknown>) {
    super(typeof body.detail === 'string' ? body.detail : `the server answered ${status}`)
    this.status = status
    this.body = body
    this.code = typeof body.code === 'string' ? body.code : undefined
    this.errors = Array.isArray(body.errors) ? (body.errors as ApiFieldError[]) : []
  }
}

/** The request never got an answer (offline, server down, aborted by a timeout). */
export class NetworkError extends Error {}

function readCsrf(): string {
  const meta = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')
  if (meta?.content) return meta.content
  const cookie = document.cookie.split('; ').find((c) => c.startsWith('csrftoken='))
  return cookie ? decodeURIComponent(cookie.slice('csrftoken='.length)) : ''
}

export interface RequestOptions {
  signal?: AbortSignal
  /** Survives page unload (saving on close). */
  keepalive?: boolean
}

export async function api<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
  const url = path.startsWith('/') ? path : API_ROOT + path
  let response: Response
  try {
    response = await fetch(url, {
      method,
      credentials: 'same-origin',
      headers: { 'X-CSRFToken': readCsrf(), 'Content-Type': 'application/json', Accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: options.signal,
      keepalive: options.keepalive,
    })
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e
    throw new NetworkError((e as Error).message || 'the network request failed')
  }
  const text = await response.text().catch(() => '')
  let data: unknown = null
  if (text) {
    try {
      data = JSON.parse(text)
    } catch {
      data = { detail: response.ok ? 'the server answered something that is not JSON' : `${response.status} ${response.statusText}` }
    }
  }
  if (!response.ok) {
    const errBody = data && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {}
    throw new ApiError(response.status, errBody)
  }
  return data as T
}

export const get = <T>(path: string, options?: RequestOptions) => api<T>('GET', path, undefined, options)
export const post = <T>(path: string, body: unknown, options?: RequestOptions) => api<T>('POST', path, body, options)
export const put = <T>(path: string, body: unknown, options?: RequestOptions) => api<T>('PUT', path, body, options)
export const patch = <T>(path: string, body: unknown, options?: RequestOptions) => api<T>('PATCH', path, body, options)
export const del = (path: string, options?: RequestOptions) => api<null>('DELETE', path, undefined, options)

export const enc = encodeURIComponent

/** A one-line message for any error thrown by `api`. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 403) return e.message || 'you do not have permission to do this'
    return e.message
  }
  if (e instanceof NetworkError) return 'cannot reach the server'
  return (e as Error)?.message ?? String(e)
}

/** Every page of a paginated list. */
export async function allPages<T>(path: string, limit = 20): Promise<T[]> {
  const out: T[] = []
  let next: string | null = path
  for (let i = 0; next && i < limit; i++) {
    const page: { results: T[]; next: string | null } = await get(next.startsWith('http') ? new URL(next).pathname + new URL(next).search : next)
    out.push(...page.results)
    next = page.next
  }
  return out
}
