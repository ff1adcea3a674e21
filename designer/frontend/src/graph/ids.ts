export const NODE_ID_RE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/

/** A readable prefix for ids of a node type: "task", "http", "my_type" (always a valid id start). */
export function idPrefix(type: string): string {
  let base = type.replace(/[^A-Za-z0-9_]/g, '_').replace(/^([0-9])/, '_$1') || 'node'
  if (base.length > 50) base = base.slice(0, 50)
  return base
}

/** The next free id like `task_3` (one more than the highest `task_N` in use). */
export function nextId(prefix: string, taken: Iterable<string>, sep = '_'): string {
  const re = new RegExp(`^${prefix.replace(/[^A-Za-z0-9_]/g, '')}${sep}(\\d+)$`)
  const used = new Set<string>()
  let max = 0
  for (const id of taken) {
    used.add(id)
    const m = re.exec(id)
    if (m) max = Math.max(max, Number(m[1]))
  }
  let n = max + 1
  while (used.has(`${prefix}${sep}${n}`)) n++
  return `${prefix}${sep}${n}`
}

/** `count` fresh ids for one prefix, avoiding `taken` and each other. */
export function nextIds(prefix: string, taken: Iterable<string>, count: number, sep = '_'): string[] {
  const all = new Set(taken)
  const out: string[] = []
  for (let i = 0; i < count; i++) {
    const id = nextId(prefix, all, sep)
    all.add(id)
    out.push(id)
  }
  return out
}

/** Edge ids: e1, e2... */
export const nextEdgeId = (taken: Iterable<string>) => nextId('e', taken, '')
