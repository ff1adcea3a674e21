/**
 * The Version field of map, loop and sub-workflow: which published versions of the chosen child
 * template a step may pin (pure), what the field says about its pin, and loading the versions.
 * Version numbers belong to one template: v2 of one child is nothing to another, so choosing
 * another Workflow drops the pin (and the field says so) rather than keep a number that would
 * start a different version, or none.
 */
import { allPages, enc, errorMessage } from '../api/client'
import type { VersionInfo } from '../api/types'
import type { Json, JsonSchema } from '../graph/types'
import { useEditor, type ChildVersions } from '../state/store'
import { isDynamic } from './childTemplates'

/** The versions a step may pin: the published ones (drafts and archived versions cannot start), newest first. */
export function publishedVersions(all: readonly VersionInfo[]): VersionInfo[] {
  return all.filter((v) => v.status === 'published').sort((a, b) => b.number - a.number)
}

/**
 * The options for what is typed: `null` ("Latest published") first, then the versions. A number
 * ("3", "v3") finds that version; words find versions whose change note or publisher holds them all,
 * and "latest" the default.
 */
export function versionOptions(versions: readonly VersionInfo[], query: string): (VersionInfo | null)[] {
  const typed = query.trim().toLowerCase()
  if (!typed) return [null, ...versions]
  const number = /^v?(\d+)$/.exec(typed)
  if (number) return versions.filter((v) => v.number === Number(number[1]))
  const words = typed.split(/\s+/)
  const latest = words.every((w) => 'latest published'.includes(w)) ? [null] : []
  return [...latest, ...versions.filter((v) => words.every((w) => `${v.change_note} ${v.published_by ?? ''}`.toLowerCase().includes(w)))]
}

/** The config key of the field whose widget is `widget` ("template", "template-version"), if the schema has one. */
export function keyOfWidget(schema: JsonSchema, widget: string): string | undefined {
  return Object.entries(schema.properties ?? {}).find(([, s]) => s['x-widget'] === widget)?.[0]
}

/**
 * The config changes that set `key` (a Workflow field) to `value`: with it, the pinned version is
 * cleared when the workflow changes, as one undoable change.
 */
export function workflowChanges(schema: JsonSchema, config: { [key: string]: Json }, key: string, value: string | undefined): [string[], Json | undefined][] {
  const pin = keyOfWidget(schema, 'template-version')
  const changes: [string[], Json | undefined][] = [[[key], value]]
  if (pin && config[pin] !== undefined && value !== config[key]) changes.push([[pin], undefined])
  return changes
}

/** What the Version field is, for a Workflow value and a pin. */
export type PinState =
  | { kind: 'no-workflow' } // nothing to list the versions of yet: disabled
  | { kind: 'expression' } // chosen when the step runs: no one template's versions to list
  | { kind: 'loading' }
  | { kind: 'error'; message: string }
  | { kind: 'ok'; versions: VersionInfo[] }
  | { kind: 'unknown'; versions: VersionInfo[]; pinned: number } // pinned to a version the template does not have published

export function pinState(workflow: Json | undefined, pinned: Json | undefined, loaded: ChildVersions | undefined): PinState {
  if (typeof workflow !== 'string' || !workflow.trim()) return { kind: 'no-workflow' }
  if (isDynamic(workflow)) return { kind: 'expression' }
  if (!loaded || loaded.status === 'loading') return { kind: 'loading' }
  if (loaded.status === 'error') return { kind: 'error', message: loaded.message ?? 'unknown error' }
  if (pinned !== undefined && !loaded.list.some((v) => v.number === pinned)) return { kind: 'unknown', versions: loaded.list, pinned: typeof pinned === 'number' ? pinned : NaN }
  return { kind: 'ok', versions: loaded.list }
}

/** What the field says of a pin that cannot start (null when there is nothing wrong to say). */
export function pinProblem(workflow: string, pinned: Json | undefined, state: PinState): string | null {
  if (state.kind !== 'unknown') return null
  if (!Number.isInteger(pinned)) return `a version is a number, not ${JSON.stringify(pinned)}: choose one of ${workflow}'s, or Latest published.`
  const have = state.versions.map((v) => `v${v.number}`).join(', ') || 'none'
  return `${workflow} has no published version ${String(pinned)} (published: ${have}): choose one, or Latest published.`
}

/**
 * The server's errors on a Version field that the field does not say itself. Once the chosen
 * template's versions are loaded, the picker judges the pin against them as it changes (its own
 * problem line, and none the moment a published version is chosen), so the server's
 * `unknown_version`, which lags the last change by a check, is not repeated under it. Before the
 * versions load, or when they cannot be listed (an expression chooses the workflow), the server's
 * word is the only one, and it stands.
 */
export function pinErrors<E extends { code?: string }>(errors: E[], state: PinState): E[] {
  if (state.kind !== 'ok' && state.kind !== 'unknown') return errors
  return errors.filter((e) => e.code !== 'unknown_version')
}

const inflight = new Set<string>()

const put = (name: string, versions: ChildVersions) => useEditor.setState((s) => ({ childVersions: { ...s.childVersions, [name]: versions } }))

/**
 * The published versions of `name`, fetched the first time a step names it, again after a failure,
 * and (`refresh`) when its list opens, in case the child was published since; the list already
 * loaded is shown meanwhile.
 */
export function loadChildVersions(name: string, refresh = false): void {
  const known = useEditor.getState().childVersions[name]
  if (inflight.has(name) || (known?.status === 'loaded' && !refresh)) return
  inflight.add(name)
  if (known?.status !== 'loaded') put(name, { status: 'loading', list: [], message: null })
  allPages<VersionInfo>(`templates/${enc(name)}/versions/`)
    .then(
      (all) => put(name, { status: 'loaded', list: publishedVersions(all), message: null }),
      (e) => known?.status !== 'loaded' && put(name, { status: 'error', list: [], message: errorMessage(e) }),
    )
    .finally(() => inflight.delete(name))
}
