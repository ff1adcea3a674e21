import type { Handler } from '../api/types'

const LONGEST = 72

/** A picker's line for a handler: its name and the first line of its description, kept short. */
export function handlerLabel(h: Handler): string {
  // descriptions come from docstrings: without their ``literal`` marks
  const line = (h.description ?? '').trim().split('\n')[0].replace(/``/g, '').trim()
  if (!line) return h.name
  const text = `${h.name} — ${line}`
  return text.length > LONGEST ? `${text.slice(0, LONGEST - 1).trimEnd()}…` : text
}
