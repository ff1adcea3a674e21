/** The handler field: a searchable list of handlers (name and what each does), and what the chosen one reads. */
import { useEffect, useId, useMemo, useRef, useState } from 'react'
import type { Handler } from '../api/types'
import type { Json } from '../graph/types'
import { inputFields, matchHandlers, unmappedRequired } from './handlerInfo'

interface Props {
  id: string
  testid: string
  value: Json | undefined
  handlers: readonly Handler[]
  disabled: boolean
  /** Whether the field may be left empty (a compensation handler): the list then offers "none". */
  optional: boolean
  onChange(v: Json | undefined): void
}

/**
 * An ARIA combobox: click, type or press ↓ to open; ↑/↓ and Enter choose; Escape or Tab leaves
 * the choice as it was. Searching matches names and descriptions.
 */
export function HandlerPicker({ id, testid, value, handlers, disabled, optional, onChange }: Props) {
  const current = typeof value === 'string' ? value : ''
  const chosen = handlers.find((h) => h.name === current)
  const [open, setOpen] = useState(false)
  const [query, setQuery] = useState('')
  const [active, setActive] = useState(0)
  const listId = useId()
  const list = useRef<HTMLUListElement>(null)
  const matches = useMemo(() => matchHandlers(handlers, query), [handlers, query])
  // "none" sits first when the field is optional and nothing is typed
  const options: (Handler | null)[] = optional && !query.trim() ? [null, ...matches] : matches

  useEffect(() => {
    if (open) list.current?.querySelector('[data-active="true"]')?.scrollIntoView({ block: 'nearest' })
  }, [open, active])

  const show = (q: string) => {
    setQuery(q)
    setOpen(true)
    const all = optional && !q.trim() ? [null, ...matchHandlers(handlers, q)] : matchHandlers(handlers, q)
    setActive(Math.max(0, q.trim() ? 0 : all.findIndex((h) => (h?.name ?? '') === current)))
  }
  const close = () => {
    setOpen(false)
    setQuery('')
  }
  const choose = (h: Handler | null) => {
    close()
    if ((h?.name ?? '') !== current) onChange(h?.name)
  }
  const onKeyDown = (e: React.KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault()
      if (!open) return show(query)
      if (options.length) setActive((a) => (a + (e.key === 'ArrowDown' ? 1 : options.length - 1)) % options.length)
    } else if (e.key === 'Enter' && open) {
      e.preventDefault()
      if (options[active] !== undefined) choose(options[active])
    } else if (e.key === 'Escape' && open) {
      e.preventDefault()
      e.stopPropagation() // closes the list, not the selection
      close()
    }
  }
  const optionId = (i: number) => `${listId}-${i}`

  return (
    <div className="fd-picker">
      <div className="fd-picker-box">
        <input
          id={id}
          type="text"
          role="combobox"
          className="fd-mono"
          data-testid={`field-${testid}`}
          aria-expanded={open}
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={open && options.length ? optionId(active) : undefined}
          autoComplete="off"
          spellCheck={false}
          disabled={disabled}
          value={open ? query : current}
          placeholder={open ? current || 'Search by name or what it does' : 'Choose a handler'}
          onChange={(e) => show(e.target.value)}
          onClick={() => !open && show('')}
          onBlur={close}
          onKeyDown={onKeyDown}
        />
        <span className="fd-picker-caret" aria-hidden="true">
          ▾
        </span>
      </div>
      {/* a press anywhere in the list (an option, its scrollbar) keeps focus in the box */}
      {open && (
        <ul className="fd-picker-list" id={listId} role="listbox" ref={list} aria-label="Handlers" data-testid={`options-${testid}`} onMouseDown={(e) => e.preventDefault()}>
          {options.map((h, i) => (
            <li
              key={h?.name ?? ''}
              id={optionId(i)}
              role="option"
              aria-selected={i === active}
              data-active={i === active}
              data-current={(h?.name ?? '') === current}
              data-testid={`handler-option-${h?.name ?? 'none'}`}
              onMouseEnter={() => setActive(i)}
              onClick={() => choose(h)}
            >
              {h ? (
                <>
                  <span className="fd-picker-name">{h.name}</span>
                  {h.description && <span className="fd-picker-desc">{h.description}</span>}
                </>
              ) : (
                <span className="fd-picker-desc">None</span>
              )}
            </li>
          ))}
          {options.length === 0 && <li className="fd-picker-empty">No handler matches “{query.trim()}”.</li>}
        </ul>
      )}
      {chosen?.description && (
        <div className="fd-help" data-testid={`description-${testid}`}>
          {chosen.description}
        </div>
      )}
    </div>
  )
}

/** The fields the chosen handler reads, with a hint where the step's input mapping leaves a required one out. */
export function HandlerInputFields({ handler, mapping }: { handler: Handler | undefined; mapping: Json | undefined }) {
  if (!handler) return null
  const schema = handler.input_schema
  if (!schema) {
    return (
      <p className="fd-help" data-testid="handler-input-fields">
        {handler.name} does not describe its input.
      </p>
    )
  }
  const fields = inputFields(schema)
  const missing = new Set(unmappedRequired(schema, mapping) ?? [])
  return (
    <div className="fd-reads" data-testid="handler-input-fields">
      <div className="fd-reads-head">Reads from its input</div>
      {fields.length === 0 && <div className="fd-help">no fields declared</div>}
      <ul>
        {fields.map((f) => (
          <li key={f.name} data-testid={`reads-${f.name}`}>
            <div className="fd-reads-line">
              <code>{f.name}</code>
              <span className="fd-reads-type">{f.type}</span>
              {f.required && <span className="fd-reads-req">required</span>}
              {missing.has(f.name) && (
                <span className="fd-reads-missing" data-testid={`reads-missing-${f.name}`} title="The handler needs this field: add it to Input below. The step can still be saved.">
                  not in Input
                </span>
              )}
            </div>
            {f.description && <div className="fd-help">{f.description}</div>}
          </li>
        ))}
      </ul>
    </div>
  )
}
