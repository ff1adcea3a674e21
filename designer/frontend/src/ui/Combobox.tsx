/**
 * The inspector's one combobox (ARIA 1.2 "editable combobox with list autocomplete"): the handler,
 * template and version pickers differ in what they list and how they match, not in how the list
 * opens, moves, chooses and looks. Click, type or press ↓ to open; ↑/↓ (Page Up/Down) move, Enter
 * or a click chooses; Escape, Tab or a click elsewhere leave the value as it was. Focus stays in
 * the box: the highlighted option is `aria-activedescendant`, and a polite status says how many
 * options there are, or what to do when there are none.
 */
import { useEffect, useId, useRef, useState } from 'react'
import { clampActive, firstActive, intentOf } from './combobox'

export interface ComboboxProps<T> {
  id?: string
  /** `field-<testid>` on the box, `options-<testid>` on the list. */
  testid: string
  /** What the list is, for screen readers ("Handlers", "Published templates"). */
  listLabel: string
  /** The options offered for what is typed, in order: each picker matches in its own way. */
  options(query: string): readonly T[]
  optionKey(option: T): string
  optionTestId(option: T): string
  /** An option's lines; `.fd-picker-name` and `.fd-picker-desc` give them the pickers' look. */
  renderOption(option: T): React.ReactNode
  /** Whether the option is the field's value: marked ✓, and highlighted when the list opens. */
  isCurrent(option: T): boolean
  /** The value shown while the list is closed. */
  display: string
  /** Shown in the empty box while closed ("Choose a handler"). */
  placeholder: string
  /** Shown in the box while the list is open and nothing is typed ("Search by name…"). */
  searchPlaceholder: string
  /** What the open list says when it offers nothing: why, and what to do about it. */
  empty(query: string): string
  disabled: boolean
  /** Names and expressions are set in the monospace font; versions and titles are not. */
  mono?: boolean
  /** The text in the box when the list opens (an expression to edit); empty by default. */
  openWith?: string
  /** Called as the list opens (to load, or refresh, what it offers). */
  onOpen?(): void
  onChoose(option: T): void
  /** On leaving the box while the list is open: an option made of what was typed, to keep. */
  onLeave?(query: string): T | undefined
  /** The id of a hint that says more about the field (why it is disabled). */
  describedBy?: string
  /** The value is wrong (said next to the box). */
  invalid?: boolean
}

export function Combobox<T>(props: ComboboxProps<T>) {
  const { id, testid, listLabel, options: offer, optionKey, optionTestId, renderOption, isCurrent, display, disabled } = props
  const [open, setOpen] = useState(false)
  const [query, setQuery] = useState('')
  const [active, setActive] = useState(0)
  const listId = useId()
  const listRef = useRef<HTMLUListElement>(null)
  const options = open ? offer(query) : []
  const highlighted = clampActive(active, options.length)

  useEffect(() => {
    if (open) listRef.current?.querySelector('[data-active="true"]')?.scrollIntoView({ block: 'nearest' })
  }, [open, highlighted])

  const show = (q: string) => {
    props.onOpen?.()
    setQuery(q)
    setOpen(true)
    setActive(firstActive(q, offer(q).findIndex(isCurrent)))
  }
  const close = () => {
    setOpen(false)
    setQuery('')
  }
  const choose = (option: T) => {
    close()
    props.onChoose(option)
  }
  const onKeyDown = (e: React.KeyboardEvent<HTMLInputElement>) => {
    const intent = intentOf(e.key, open, highlighted, options.length, e.altKey)
    if (!intent) return
    e.preventDefault()
    if (intent.kind === 'open') show(props.openWith ?? '')
    else if (intent.kind === 'move') setActive(intent.to)
    else if (intent.kind === 'choose') {
      if (highlighted < options.length) choose(options[highlighted])
    } else {
      e.stopPropagation() // Escape closes the list, not the inspector's selection
      close()
    }
  }
  const onBlur = () => {
    const kept = open ? props.onLeave?.(query) : undefined
    if (kept !== undefined) choose(kept)
    else close()
  }
  const optionId = (i: number) => `${listId}-${i}`
  const said = open ? (options.length ? `${options.length} ${options.length === 1 ? 'option' : 'options'}` : props.empty(query)) : ''

  return (
    <div className="fd-picker">
      <div className="fd-picker-box">
        <input
          id={id}
          type="text"
          role="combobox"
          className={props.mono ? 'fd-mono' : undefined}
          data-testid={`field-${testid}`}
          aria-expanded={open}
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={open && options.length ? optionId(highlighted) : undefined}
          aria-describedby={props.describedBy}
          aria-invalid={props.invalid || undefined}
          autoComplete="off"
          spellCheck={false}
          disabled={disabled}
          value={open ? query : display}
          placeholder={open ? display || props.searchPlaceholder : props.placeholder}
          onChange={(e) => show(e.target.value)}
          onClick={() => !open && show(props.openWith ?? '')}
          onBlur={onBlur}
          onKeyDown={onKeyDown}
        />
        <span className="fd-picker-caret" aria-hidden="true">
          ▾
        </span>
      </div>
      {/* a press anywhere in the list (an option, its scrollbar) keeps focus in the box */}
      {open && (
        <ul className="fd-picker-list" id={listId} role="listbox" ref={listRef} aria-label={listLabel} data-testid={`options-${testid}`} onMouseDown={(e) => e.preventDefault()}>
          {options.map((o, i) => (
            <li
              key={optionKey(o)}
              id={optionId(i)}
              role="option"
              aria-selected={i === highlighted}
              data-active={i === highlighted}
              data-current={isCurrent(o)}
              data-testid={optionTestId(o)}
              onMouseEnter={() => setActive(i)}
              onClick={() => choose(o)}
            >
              {renderOption(o)}
            </li>
          ))}
          {options.length === 0 && (
            <li className="fd-picker-empty" role="option" aria-disabled="true" aria-selected="false" data-testid={`empty-${testid}`}>
              {said}
            </li>
          )}
        </ul>
      )}
      <span className="fd-sr-only" role="status">
        {said}
      </span>
    </div>
  )
}
