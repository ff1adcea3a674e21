/** The templates a map, loop or sub-workflow may start: which match a search (pure), and loading them once. */
import { allPages, errorMessage } from '../api/client'
import type { TemplateInfo } from '../api/types'
import { useEditor } from '../state/store'

/** A Workflow value that an expression computes at run time (it then needs Allowed workflows). */
export const isDynamic = (value: unknown): value is string => typeof value === 'string' && value.includes('{{')

/**
 * The templates whose name or title holds every word typed, then those whose description or tags
 * do (each group in the list's order: by name). `exclude`: names not to offer (the template being
 * edited, names already in a list).
 */
export function matchTemplates(templates: readonly TemplateInfo[], query: string, exclude: ReadonlySet<string> = new Set()): TemplateInfo[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean)
  const offered = templates.filter((t) => !exclude.has(t.name))
  if (words.length === 0) return offered
  const byName: TemplateInfo[] = []
  const byText: TemplateInfo[] = []
  for (const t of offered) {
    const name = `${t.name} ${t.title}`.toLowerCase()
    const text = `${name} ${t.description ?? ''} ${(t.tags ?? []).join(' ')}`.toLowerCase()
    if (words.every((w) => name.includes(w))) byName.push(t)
    else if (words.every((w) => text.includes(w))) byText.push(t)
  }
  return [...byName, ...byText]
}

/** The published templates (not archived), fetched the first time a picker needs them; again after a failure. */
export function loadChildTemplates(): void {
  const state = useEditor.getState().childTemplates
  if (state.status === 'loading' || state.status === 'loaded') return
  useEditor.setState({ childTemplates: { ...state, status: 'loading', message: null } })
  allPages<TemplateInfo>('templates/?published=true').then(
    (list) => useEditor.setState({ childTemplates: { status: 'loaded', list, message: null } }),
    (e) => useEditor.setState({ childTemplates: { status: 'error', list: [], message: errorMessage(e) } }),
  )
}
