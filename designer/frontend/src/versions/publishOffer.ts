/**
 * What Publish offers. A version is only worth publishing when the draft behaves differently from
 * the latest published one (the server compares behaviour checksums: moving a node is layout);
 * offering "Publish v2" for an unchanged draft ended in a 409.
 */
import type { Draft } from '../api/types'

export interface PublishOffer {
  unchanged: boolean
  label: string
}

/** `saved`: the server has the graph on the canvas (else it may hold a change not yet saved). */
export function publishOffer(latest: number | null | undefined, changed: boolean, saved: boolean): PublishOffer {
  if (latest && !changed && saved) return { unchanged: true, label: `No changes since v${latest}` }
  return { unchanged: false, label: `Publish v${(latest ?? 0) + 1}` }
}

/** Whether the server's draft is a change; a server that does not say: any draft is one. */
export function draftChanged(draft: Pick<Draft, 'changed_since_published'> | null, latest: number | null | undefined): boolean {
  if (!draft) return !latest
  return draft.changed_since_published ?? true
}
