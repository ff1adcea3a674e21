/**
 * Suggestions for the names a template gives (assignees, candidate groups, recipients) from
 * `GET /api/v1/directory/`: what starts with what was typed. A recipient is an address,
 * `user:NAME` or `group:NAME`, so its suggestions keep the prefix typed.
 */
import { enc, get } from '../api/client'
import { hasTemplate } from '../schema/form'

export type DirectoryKind = 'users' | 'groups' | 'recipients'

interface Entry {
  name: string
  label: string
}

/** What to ask the directory for `text` typed in a field of `kind` (null: nothing to ask). */
export function lookupFor(kind: DirectoryKind, text: string): { kind: 'users' | 'groups'; q: string; prefix: string } | null {
  const typed = text.trim()
  if (!typed || hasTemplate(typed) || typed.length > 150) return null
  if (kind !== 'recipients') return { kind, q: typed, prefix: '' }
  const m = /^(user|group):(.+)$/.exec(typed)
  if (!m) return typed.includes('@') ? null : { kind: 'users', q: typed, prefix: 'user:' }
  return { kind: m[1] === 'group' ? 'groups' : 'users', q: m[2], prefix: `${m[1]}:` }
}

export interface Suggestion {
  value: string
  label: string
}

/** The suggestions for `text`, or [] (no question to ask, or the directory refused: not an analyst). */
export async function suggest(kind: DirectoryKind, text: string, signal?: AbortSignal): Promise<Suggestion[]> {
  const lookup = lookupFor(kind, text)
  if (!lookup) return []
  try {
    const found = await get<{ results: Entry[] }>(`directory/?kind=${lookup.kind}&q=${enc(lookup.q)}`, { signal })
    return found.results.map((e) => ({ value: lookup.prefix + e.name, label: e.label === e.name ? '' : e.label }))
  } catch {
    return []
  }
}
