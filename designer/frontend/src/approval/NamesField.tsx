/**
 * A list of names as chips (assignees, candidate groups, addresses to notify): type a name and
 * press Enter (or a comma) to add it, × or Backspace in the empty box to remove one. A chip the
 * server refuses (`config.assignees.1`) is marked, and its message said under the box.
 */
import { useEffect, useId, useRef, useState } from 'react'
import type { ApiFieldError } from '../api/types'
import type { Json } from '../graph/types'
import { hasTemplate } from '../schema/form'
import { bare } from '../inspector/messages'
import { suggest, type DirectoryKind, type Suggestion } from './directory'

/** What a pasted or typed text adds: its parts between commas, semicolons and line breaks. */
export function splitNames(text: string): string[] {
  return text
    .split(/[,;\n]/)
    .map((s) => s.trim())
    .filter(Boolean)
}

/** The names with `added` appended, each once. */
export function withNames(names: readonly string[], added: readonly string[]): string[] {
  const out = [...names]
  for (const n of added) if (!out.includes(n)) out.push(n)
  return out
}

interface Props {
  /** The config path ("config.assignees"): the box is `field-PATH`, each chip `chip-PATH.N`. */
  path: string
  title: string
  help?: string
  value: Json | undefined
  errors: readonly ApiFieldError[]
  placeholder: string
  /** What one name is, for the buttons' labels ("assignee"). */
  noun: string
  max?: number
  required?: boolean
  disabled: boolean
  /** Suggest names from the directory as they are typed (a list under the box). */
  suggestFrom?: DirectoryKind
  onChange(next: string[] | undefined): void
}

export function NamesField({ path, title, help, value, errors, placeholder, noun, max, required, disabled, suggestFrom, onChange }: Props) {
  const names = Array.isArray(value) ? value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))) : []
  const [text, setText] = useState('')
  const [options, setOptions] = useState<Suggestion[]>([])
  const id = useId()
  const listId = `${id}-suggestions`
  useEffect(() => {
    if (!suggestFrom || !text.trim()) {
      setOptions([])
      return
    }
    const abort = new AbortController()
    const timer = window.setTimeout(() => {
      void suggest(suggestFrom, text, abort.signal).then((found) => abort.signal.aborted || setOptions(found))
    }, 150) // one question per pause in the typing, not per key
    return () => (window.clearTimeout(timer), abort.abort())
  }, [suggestFrom, text])
  const input = useRef<HTMLInputElement>(null)
  const mine = errors.filter((e) => e.field === path || (e.field ?? '').startsWith(`${path}.`))
  const badIndex = new Set(mine.map((e) => /\.(\d+)$/.exec(e.field ?? '')?.[1]).filter((i): i is string => i !== undefined).map(Number))
  const full = max !== undefined && names.length >= max
  const set = (next: string[]) => onChange(next.length ? next : undefined)
  const commit = (raw: string) => {
    const added = hasTemplate(raw) ? [raw.trim()].filter(Boolean) : splitNames(raw)
    if (added.length) set(withNames(names, added).slice(0, max ?? Infinity))
    setText('')
  }
  const remove = (i: number) => {
    set(names.filter((_, j) => j !== i))
    input.current?.focus()
  }
  return (
    <div className={`fd-field ${mine.length ? 'has-error' : ''}`} data-field={path}>
      <label className="fd-label" htmlFor={id}>
        {title}
        {required && <span className="fd-required" title="required"> *</span>}
      </label>
      <div className={`fd-chips ${disabled ? 'is-disabled' : ''}`} onClick={() => input.current?.focus()} data-testid={`chips-${path}`}>
        {names.map((n, i) => (
          <span key={`${i}:${n}`} className={`fd-chip ${hasTemplate(n) ? 'is-expr' : ''} ${badIndex.has(i) ? 'has-error' : ''}`} data-testid={`chip-${path}.${i}`}>
            <span className="fd-chip-text">{n}</span>
            {!disabled && (
              <button type="button" className="fd-chip-x" aria-label={`Remove ${noun} ${n}`} onClick={(e) => (e.stopPropagation(), remove(i))}>
                ×
              </button>
            )}
          </span>
        ))}
        {!disabled && !full && (
          <input
            ref={input}
            id={id}
            type="text"
            className="fd-chips-input"
            data-testid={`field-${path}`}
            value={text}
            placeholder={names.length ? `add ${noun}…` : placeholder}
            spellCheck={false}
            autoComplete="off"
            list={suggestFrom ? listId : undefined}
            aria-invalid={mine.length > 0}
            onChange={(e) => {
              const t = e.target.value
              // a suggestion picked from the list is a whole name: added at once
              if ((e.nativeEvent as InputEvent).inputType === 'insertReplacementText' && options.some((o) => o.value === t)) commit(t)
              // a comma ends a name, except inside a {{ template }}
              else if (/[,;]$/.test(t) && !(hasTemplate(t) && !t.includes('}}'))) commit(t.slice(0, -1))
              else setText(t)
            }}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault()
                commit(text)
              } else if (e.key === 'Backspace' && text === '' && names.length) {
                e.preventDefault()
                set(names.slice(0, -1))
              }
            }}
            onPaste={(e) => {
              const pasted = e.clipboardData.getData('text')
              if (!hasTemplate(pasted) && splitNames(pasted).length > 1) {
                e.preventDefault()
                commit(text + pasted)
              }
            }}
            onBlur={() => text.trim() && commit(text)}
          />
        )}
        {disabled && names.length === 0 && <span className="fd-muted">none</span>}
      </div>
      {suggestFrom && (
        <datalist id={listId} data-testid={`suggestions-${path}`}>
          {options
            .filter((o) => !names.includes(o.value))
            .map((o) => (
              <option key={o.value} value={o.value} label={o.label || undefined} />
            ))}
        </datalist>
      )}
      {help && <div className="fd-help">{help}</div>}
      {mine.length > 0 && (
        <div className="fd-field-errors" role="alert" data-testid={`field-error-${path}`}>
          {mine.map((e, i) => (
            <div key={i}>{bare(e.message, e.field ?? path)}</div>
          ))}
        </div>
      )}
    </div>
  )
}
