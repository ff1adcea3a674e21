/**
 * The child workflow fields of map, loop and sub-workflow: a searchable list of the published
 * templates (name and title), and the list of names an expression may choose.
 */
import { useEffect, useId, useMemo, useRef, useState } from 'react'
import type { TemplateInfo } from '../api/types'
import type { Json } from '../graph/types'
import { useEditor } from '../state/store'
import { isDynamic, loadChildTemplates, matchTemplates } from './childTemplates'

interface PickerProps {
  id?: string
  testid: string
  value: Json | undefined
  disabled: boolean
  /** Whether a `{{ expression }}` may be typed instead of a name (Workflow, not Allowed workflows). */
  expression: boolean
  /** Names not offered (already in the list). */
  exclude?: readonly string[]
  placeholder?: string
  onChange(v: string | undefined): void
}

/** What the list offers: a typed expression, or a template. */
type Option = { expression: string } | { template: TemplateInfo }

/**
 * An ARIA combobox like the handler picker: click, type or press ↓ to open; ↑/↓ and Enter choose;
 * Escape leaves the choice as it was. Searching matches names, titles, descriptions and tags.
 * Where an expression is allowed, typing one offers "Use expression", and leaving the box keeps it.
 */
const NONE: readonly string[] = []

export function TemplatePicker({ id, testid, value, disabled, expression, exclude = NONE, placeholder, onChange }: PickerProps) {
  const { status, list, message } = useEditor((s) => s.childTemplates)
  const self = useEditor((s) => s.boot.template)
  const current = typeof value === 'string' ? value : ''
  const [open, setOpen] = useState(false)
  const [query, setQuery] = useState('')
  const [active, setActive] = useState(0)
  const listId = useId()
  const listRef = useRef<HTMLUListElement>(null)
  const skip = useMemo(() => new Set([self, ...exclude]), [self, exclude])
  const options = useMemo<Option[]>(() => {
    const typed = query.trim()
    const templates = matchTemplates(list, isDynamic(typed) ? '' : typed, skip).map((template) => ({ template }))
    return expression && isDynamic(typed) ? [{ expression: typed }, ...templates] : templates
  }, [list, query, skip, expression])

  useEffect(loadChildTemplates, [])
  useEffect(() => {
    if (open) listRef.current?.querySelector('[data-active="true"]')?.scrollIntoView({ block: 'nearest' })
  }, [open, active])

  const show = (q: string) => {
    loadChildTemplates() // again after a failure
    setQuery(q)
    setOpen(true)
    const typed = q.trim()
    setActive(typed ? 0 : Math.max(0, matchTemplates(list, '', skip).findIndex((t) => t.name === current)))
  }
  const close = () => {
    setOpen(false)
    setQuery('')
  }
  const choose = (option: Option | undefined) => {
    close()
    const name = option && ('expression' in option ? option.expression : option.template.name)
    if (name && name !== current) onChange(name)
  }
  const onKeyDown = (e: React.KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault()
      if (!open) return show(isDynamic(current) ? current : '')
      if (options.length) setActive((a) => (a + (e.key === 'ArrowDown' ? 1 : options.length - 1)) % options.length)
    } else if (e.key === 'Enter' && open) {
      e.preventDefault()
      choose(options[active])
    } else if (e.key === 'Escape' && open) {
      e.preventDefault()
      e.stopPropagation() // closes the list, not the selection
      close()
    }
  }
  // leaving the box keeps a typed expression (there is nothing to pick it from); anything else is dropped
  const onBlur = () => (expression && open && isDynamic(query.trim()) ? choose({ expression: query.trim() }) : close())
  const optionId = (i: number) => `${listId}-${i}`
  const chosen = list.find((t) => t.name === current)
  const empty =
    status === 'error'
      ? `Could not load the templates: ${message}`
      : status !== 'loaded'
        ? 'Loading templates…'
        : query.trim()
          ? `No published template matches “${query.trim()}”.`
          : 'No other published template yet: publish the child workflow first.'

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
          placeholder={open ? current || (expression ? 'Search templates, or type a {{ expression }}' : 'Search templates') : placeholder ?? 'Choose a workflow'}
          onChange={(e) => show(e.target.value)}
          onClick={() => !open && show(isDynamic(current) ? current : '')}
          onBlur={onBlur}
          onKeyDown={onKeyDown}
        />
        <span className="fd-picker-caret" aria-hidden="true">
          ▾
        </span>
      </div>
      {open && (
        <ul className="fd-picker-list" id={listId} role="listbox" ref={listRef} aria-label="Published templates" data-testid={`options-${testid}`} onMouseDown={(e) => e.preventDefault()}>
          {options.map((o, i) => {
            const key = 'expression' in o ? '{{' : o.template.name
            return (
              <li
                key={key}
                id={optionId(i)}
                role="option"
                aria-selected={i === active}
                data-active={i === active}
                data-current={key === current}
                data-testid={'expression' in o ? 'template-option-expression' : `template-option-${o.template.name}`}
                onMouseEnter={() => setActive(i)}
                onClick={() => choose(o)}
              >
                {'expression' in o ? (
                  <>
                    <span className="fd-picker-desc">Use the expression</span>
                    <span className="fd-picker-name">{o.expression}</span>
                  </>
                ) : (
                  <>
                    <span className="fd-picker-name">{o.template.name}</span>
                    <span className="fd-picker-desc">
                      {o.template.title}
                      {o.template.latest_version ? ` · v${o.template.latest_version}` : ''}
                    </span>
                  </>
                )}
              </li>
            )
          })}
          {options.length === 0 && <li className="fd-picker-empty">{empty}</li>}
        </ul>
      )}
      {chosen && (
        <div className="fd-help" data-testid={`title-${testid}`}>
          {chosen.title} · latest v{chosen.latest_version} ·{' '}
          <a href={`/designer/t/${encodeURIComponent(chosen.name)}/`} target="_blank" rel="noopener">
            open ↗
          </a>
        </div>
      )}
    </div>
  )
}

/** Allowed workflows: the names a `{{ expression }}` in Workflow may choose, each picked from the published templates. */
export function AllowedWorkflows({ testid, value, disabled, maxItems, onChange }: { testid: string; value: Json | undefined; disabled: boolean; maxItems?: number; onChange(v: Json | undefined): void }) {
  const names = Array.isArray(value) ? value.filter((n): n is string => typeof n === 'string') : []
  const titles = useEditor((s) => s.childTemplates.list)
  const title = (name: string) => titles.find((t) => t.name === name)?.title
  const set = (next: string[]) => onChange(next.length ? next : undefined)
  return (
    <div className="fd-allowed" data-testid={`field-${testid}`}>
      {names.length > 0 && (
        <ul className="fd-allowed-list">
          {names.map((name, i) => (
            <li key={name} data-testid={`field-${testid}.${i}`}>
              <code>{name}</code>
              {title(name) && <span className="fd-allowed-title">{title(name)}</span>}
              {!disabled && (
                <button type="button" className="fd-icon-btn" title="Remove" aria-label={`Remove ${name}`} onClick={() => set(names.filter((n) => n !== name))}>
                  ×
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {!disabled && (maxItems === undefined || names.length < maxItems) && (
        <TemplatePicker testid={`${testid}.add`} value={undefined} disabled={disabled} expression={false} exclude={names} placeholder="Add a workflow…" onChange={(name) => name && set([...names, name])} />
      )}
    </div>
  )
}
