/**
 * What a key does in the inspector's combobox (handlers, templates, versions), apart from React so
 * that every picker moves the same way and the rules can be tested without a browser.
 */

/** What a key press asks of the list; null: the key is the text box's own (typing, Home, Tab). */
export type Intent =
  | { kind: 'open' }
  | { kind: 'move'; to: number }
  | { kind: 'choose' }
  | { kind: 'close' }
  | null

/** How far Page Up and Page Down jump (about what the list shows at once). */
export const PAGE = 8

/**
 * The key's meaning, with the list `open` or not, `count` options offered and `active` the one
 * highlighted. ↑/↓ open a closed list, then move round it (past the last comes the first); Page
 * Up/Down jump and stop at the ends; Alt+↑ closes; Enter chooses; Escape closes, leaving the value.
 */
export function intentOf(key: string, open: boolean, active: number, count: number, altKey = false): Intent {
  if (!open) return key === 'ArrowDown' || key === 'ArrowUp' ? { kind: 'open' } : null
  switch (key) {
    case 'ArrowDown':
      return altKey ? null : { kind: 'move', to: count ? (active + 1) % count : 0 }
    case 'ArrowUp':
      return altKey ? { kind: 'close' } : { kind: 'move', to: count ? (active - 1 + count) % count : 0 }
    case 'PageDown':
      return { kind: 'move', to: Math.max(0, Math.min(count - 1, active + PAGE)) }
    case 'PageUp':
      return { kind: 'move', to: Math.max(0, active - PAGE) }
    case 'Enter':
      return { kind: 'choose' }
    case 'Escape':
      return { kind: 'close' }
    default:
      return null
  }
}

/**
 * The option highlighted when the list opens on `query`: the first match once something is typed,
 * else the field's current value (so ↓ Enter keeps it), else the first.
 */
export function firstActive(query: string, currentIndex: number): number {
  return query.trim() ? 0 : Math.max(0, currentIndex)
}

/** The highlighted option once the list holds `count` (it may have shrunk while loading). */
export const clampActive = (active: number, count: number): number => Math.max(0, Math.min(active, count - 1))
