/** A schema's oneOf as a switch ("Per item: Handler | Workflow"), with the chosen option's fields under it. */
import { useId, useRef, useState } from 'react'
import type { Config, JsonSchema } from '../graph/types'
import { chosenOption, switchChanges, type Choice } from '../schema/choices'
import { errorsForField } from '../schema/form'
import { FieldErrors, SchemaField, type FieldContext } from './fields'

export function ChoiceField({ ctx, choice, schema }: { ctx: FieldContext; choice: Choice; schema: JsonSchema }) {
  const config = ctx.root as Config
  const [picked, setPicked] = useState(choice.options[0].key)
  const active = chosenOption(choice, config) ?? choice.options.find((o) => o.key === picked)!
  // what switching away cleared, to give it back on switching back (while this step stays selected)
  const stash = useRef(new Map<string, Config[string]>())
  const labelId = useId()
  const pick = (key: string) => {
    setPicked(key)
    // also when `key` is already shown: a config that sets both options keeps this one
    const changes = switchChanges(choice, key, config, stash.current)
    if (changes.length) ctx.onChangeMany?.(changes)
  }
  // the other options' problems ("set a Handler or a Workflow, not both") are said under the switch
  const hidden = choice.options.flatMap((o) => o.fields).filter((f) => !active.fields.includes(f))
  const hiddenErrors = hidden.flatMap((f) => errorsForField(ctx.errors, `${ctx.base}.${f}`))
  // one of the options is needed: the shown one is marked required
  const parent = { ...schema, required: [...(schema.required ?? []), active.key] }
  const keys = choice.options.map((o) => o.key).join('-')
  return (
    <div className="fd-choice" data-testid={`choice-${keys}`}>
      <div className={`fd-field ${hiddenErrors.length ? 'has-error' : ''}`}>
        <span className="fd-label" id={labelId}>
          {choice.title}
        </span>
        <div className="fd-seg fd-choice-seg" role="group" aria-labelledby={labelId}>
          {choice.options.map((o) => (
            <button
              key={o.key}
              type="button"
              className={o === active ? 'on' : ''}
              aria-pressed={o === active}
              disabled={ctx.disabled}
              data-testid={`choice-${o.key}`}
              onClick={() => pick(o.key)}
            >
              {o.label}
            </button>
          ))}
        </div>
        <FieldErrors errors={hiddenErrors} path={`${ctx.base}.${keys}`} />
      </div>
      {active.fields.map((f) => (
        <SchemaField key={f} ctx={ctx} path={[f]} schema={schema.properties![f]} parent={parent} />
      ))}
    </div>
  )
}
