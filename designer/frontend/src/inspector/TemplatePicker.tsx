/**
 * The child workflow fields of map, loop and sub-workflow: a searchable list of the published
 * templates (name and title), and the list of names an expression may choose.
 */
import { useEffect, useMemo } from 'react'
import type { TemplateInfo } from '../api/types'
import type { Json } from '../graph/types'
import { useEditor } from '../state/store'
import { Combobox } from '../ui/Combobox'
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

const nameOf = (o: Option) => ('expression' in o ? o.expression : o.template.name)

const NONE: readonly string[] = []

/**
 * The shared combobox over the published templates (not this one): searching matches names,
 * titles, descriptions and tags. Where an expression is allowed, typing one offers "Use the
 * expression", and leaving the box keeps it.
 */
export function TemplatePicker({ id, testid, value, disabled, expression, exclude = NONE, placeholder, onChange }: PickerProps) {
  const { status, list, message } = useEditor((s) => s.childTemplates)
  const self = useEditor((s) => s.boot.template)
  const current = typeof value === 'string' ? value : ''
  const skip = useMemo(() => new Set([self, ...exclude]), [self, exclude])
  useEffect(loadChildTemplates, [])

  const options = (query: string): Option[] => {
    const typed = query.trim()
    const templates = matchTemplates(list, isDynamic(typed) ? '' : typed, skip).map((template) => ({ template }))
    return expression && isDynamic(typed) ? [{ expression: typed }, ...templates] : templates
  }
  const empty = (query: string) =>
    status === 'error'
      ? `Could not load the templates: ${message}. Close the list and open it again to retry.`
      : status !== 'loaded'
        ? 'Loading templates…'
        : query.trim()
          ? `No published template matches “${query.trim()}”.${expression ? ' Type a {{ expression }} to choose one when the step runs.' : ''}`
          : 'No other published template yet: publish the child workflow first.'
  const chosen = list.find((t) => t.name === current)

  return (
    <>
      <Combobox<Option>
        id={id}
        testid={testid}
        listLabel="Published templates"
        mono
        options={options}
        optionKey={(o) => ('expression' in o ? '{{' : o.template.name)}
        optionTestId={(o) => ('expression' in o ? 'template-option-expression' : `template-option-${o.template.name}`)}
        isCurrent={(o) => nameOf(o) === current}
        renderOption={(o) =>
          'expression' in o ? (
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
          )
        }
        display={current}
        placeholder={placeholder ?? 'Choose a workflow'}
        searchPlaceholder={expression ? 'Search templates, or type a {{ expression }}' : 'Search templates'}
        empty={empty}
        disabled={disabled}
        // an expression being edited opens in the box; a name opens the whole list
        openWith={isDynamic(current) ? current : ''}
        onOpen={loadChildTemplates} // again after a failure
        onChoose={(o) => nameOf(o) !== current && onChange(nameOf(o))}
        // leaving the box keeps a typed expression (there is nothing to pick it from); anything else is dropped
        onLeave={(query) => (expression && isDynamic(query.trim()) ? { expression: query.trim() } : undefined)}
      />
      {chosen && (
        <div className="fd-help" data-testid={`title-${testid}`}>
          {chosen.title} · latest v{chosen.latest_version} ·{' '}
          <a href={`/designer/t/${encodeURIComponent(chosen.name)}/`} target="_blank" rel="noopener">
            open ↗
          </a>
        </div>
      )}
    </>
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
