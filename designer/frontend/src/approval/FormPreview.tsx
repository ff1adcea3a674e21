/**
 * What the reviewer will see on the task page, drawn from the node's config: the title and
 * instructions as written (their {{ expressions }} are filled in when the task opens), the context
 * lines, the generated form's fields (the same labels, help and bounds as approvals/forms.py), the
 * comment and the decisions the task offers. Each field shows its default as the reviewer finds it
 * prefilled (a {{ expression }} as its text). Everything is read-only: a picture, not a form.
 */
import type { Json } from '../graph/types'
import { hasTemplate } from '../schema/form'
import { boundsText, contextRows, defaultText, fieldsOf, isTemplateDefault, shownLabel, type FormField } from './formFields'
import { BUTTON_ORDER, OUTCOME_WORDS, offeredOutcomes } from './outcomes'

/** When the comment is needed (approvals/forms.py: to reject or to ask for changes). */
function commentHint(offered: readonly string[]): string {
  const why = [offered.includes('rejected') && 'reject', offered.includes('changes') && 'ask for changes'].filter(Boolean)
  return why.length ? `needed to ${why.join(' or ')}` : 'optional'
}

const BUTTON_TONE: Record<string, string> = { approved: 'yes', changes: 'changes', rejected: 'no' }

export function FormPreview({ config }: { config: { [key: string]: Json } }) {
  const fields = fieldsOf(config.form)
  const title = typeof config.title === 'string' && config.title ? config.title : 'Untitled approval'
  const instructions = typeof config.instructions === 'string' ? config.instructions : ''
  const context = contextRows(config.context).filter(([label]) => label)
  const offered = offeredOutcomes(config)
  return (
    <div className="fd-preview" data-testid="form-preview" aria-label="Preview of the reviewer's task" role="group">
      <div className="fd-preview-title">
        <Text text={title} />
      </div>
      {instructions && (
        <p className="fd-preview-instructions">
          <Text text={instructions} />
        </p>
      )}
      {context.length > 0 && (
        <dl className="fd-preview-context">
          {context.map(([label, expression]) => (
            <div key={label}>
              <dt>{label}</dt>
              <dd>
                <Text text={expression} />
              </dd>
            </div>
          ))}
        </dl>
      )}
      {fields.map((f, i) => (
        <PreviewField key={`${i}:${f.name}`} field={f} />
      ))}
      <div className="fd-preview-field">
        <span className="fd-preview-label">Comment</span>
        <textarea rows={2} disabled readOnly tabIndex={-1} aria-label="Comment (preview)" placeholder={commentHint(offered)} />
      </div>
      <div className="fd-preview-decisions" data-testid="preview-decisions">
        {BUTTON_ORDER.filter((o) => offered.includes(o)).map((o) => (
          <span key={o} className={`fd-preview-btn ${BUTTON_TONE[o]}`} data-outcome={o}>
            {OUTCOME_WORDS[o]}
          </span>
        ))}
      </div>
    </div>
  )
}

/** Text with its {{ expressions }} marked: they are filled in from the instance's data. */
function Text({ text }: { text: string }) {
  if (!hasTemplate(text)) return <>{text}</>
  const parts = text.split(/(\{\{.*?\}\})/g)
  return (
    <>
      {parts.map((p, i) =>
        /^\{\{.*\}\}$/.test(p) ? (
          <code key={i} className="fd-preview-expr" title="filled in from the instance when the task opens">
            {p}
          </code>
        ) : (
          p
        ),
      )}
    </>
  )
}

function PreviewField({ field }: { field: FormField }) {
  const label = shownLabel(field)
  const bounds = boundsText(field)
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined)
  const common = { disabled: true, readOnly: true, tabIndex: -1, 'aria-label': `${label} (preview)` } as const
  // the default as the reviewer finds it: a value in its input, an expression as its own text
  const preset = field.default
  const expr = isTemplateDefault(preset)
  const text = defaultText(preset)
  const exprProps = { className: 'fd-preview-input is-expr', title: 'filled in from the instance when the task opens', value: text } as const
  let input: React.ReactNode
  switch (expr && field.type !== 'boolean' ? 'expression' : field.type) {
    case 'expression':
      input =
        field.type === 'textarea' ? (
          <textarea rows={3} {...common} {...exprProps} />
        ) : field.type === 'choice' ? (
          <select {...common} {...exprProps}>
            <option value={text}>{text}</option>
          </select>
        ) : (
          <input type="text" {...common} {...exprProps} />
        )
      break
    case 'textarea':
      input = <textarea rows={3} {...common} value={text} />
      break
    case 'number':
      input = <input type="number" className="fd-preview-input" min={num(field.min)} max={num(field.max)} {...common} value={typeof preset === 'number' ? preset : ''} />
      break
    case 'boolean':
      input = (
        <label className="fd-check-row">
          <input type="checkbox" {...common} checked={preset === true} />
          <span>
            {label}
            {field.required && <span className="fd-required"> *</span>}
            {expr && (
              <>
                {' '}
                <span className="fd-help-inline">ticked when</span>{' '}
                <code className="fd-preview-expr" title="filled in from the instance when the task opens">
                  {text}
                </code>
              </>
            )}
          </span>
        </label>
      )
      break
    case 'choice':
      input = (
        <select {...common} value={(field.choices ?? []).includes(text) ? text : ''}>
          <option value="">—</option>
          {(field.choices ?? []).map((c, i) => (
            <option key={i} value={String(c)}>
              {String(c)}
            </option>
          ))}
        </select>
      )
      break
    case 'date':
      input = <input type="date" className="fd-preview-input" {...common} value={/^\d{4}-\d{2}-\d{2}$/.test(text) ? text : ''} />
      break
    default:
      input = <input type="text" maxLength={num(field.max)} {...common} value={text} />
  }
  return (
    <div className="fd-preview-field" data-testid={`preview-field-${field.name}`} data-type={field.type} data-default={preset === undefined ? undefined : text}>
      {field.type !== 'boolean' && (
        <span className="fd-preview-label">
          {label}
          {field.required && <span className="fd-required"> *</span>}
        </span>
      )}
      {input}
      {field.type === 'choice' && (field.choices ?? []).length > 0 && (
        <div className="fd-preview-choices" data-testid={`preview-choices-${field.name}`}>
          {(field.choices ?? []).map((c, i) => (
            <span key={i} className="fd-pill">
              {String(c)}
            </span>
          ))}
        </div>
      )}
      {(field.help || bounds) && <div className="fd-help">{[field.help, bounds].filter(Boolean).join(' · ')}</div>}
    </div>
  )
}
