/** The handler field: a searchable list of handlers (name and what each does), and what the chosen one reads. */
import type { Handler } from '../api/types'
import type { Json } from '../graph/types'
import { Combobox } from '../ui/Combobox'
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

/** An option: a handler, or (an optional field) none. */
type Option = Handler | null

/** The shared combobox over the registered handlers; searching matches names and descriptions. */
export function HandlerPicker({ id, testid, value, handlers, disabled, optional, onChange }: Props) {
  const current = typeof value === 'string' ? value : ''
  const chosen = handlers.find((h) => h.name === current)
  // "none" sits first when the field is optional and nothing is typed
  const options = (query: string): Option[] => (optional && !query.trim() ? [null, ...matchHandlers(handlers, query)] : matchHandlers(handlers, query))
  const empty = (query: string) =>
    handlers.length === 0
      ? 'No handler is registered: the workers register them when they start.'
      : `No handler matches “${query.trim()}”. Try a word from what it does, or clear the search.`

  return (
    <>
      <Combobox<Option>
        id={id}
        testid={testid}
        listLabel="Handlers"
        mono
        options={options}
        optionKey={(h) => h?.name ?? ''}
        optionTestId={(h) => `handler-option-${h?.name ?? 'none'}`}
        isCurrent={(h) => (h?.name ?? '') === current}
        renderOption={(h) =>
          h ? (
            <>
              <span className="fd-picker-name">{h.name}</span>
              {h.description && <span className="fd-picker-desc">{h.description}</span>}
            </>
          ) : (
            <span className="fd-picker-desc">None</span>
          )
        }
        display={current}
        placeholder="Choose a handler"
        searchPlaceholder="Search by name or what it does"
        empty={empty}
        disabled={disabled}
        onChoose={(h) => (h?.name ?? '') !== current && onChange(h?.name)}
      />
      {chosen?.description && (
        <div className="fd-help" data-testid={`description-${testid}`}>
          {chosen.description}
        </div>
      )}
    </>
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
