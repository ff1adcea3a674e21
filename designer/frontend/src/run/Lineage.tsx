/**
 * The path from the root instance down to this one, for an instance a step started (a
 * sub-workflow, a loop iteration, a map item's workflow): root › parent › this, each instance a
 * link, with the step that started the next one between them.
 */
import { STATUS_LABEL } from '../canvas/look'
import { useEditor } from '../state/store'
import { instanceUrl } from './RunDialog'

export function Breadcrumb() {
  const instance = useEditor((s) => s.run?.instance)
  const ancestors = instance?.ancestors ?? []
  if (!instance || !ancestors.length) return null
  return (
    <nav className="fd-crumbs" aria-label="Started by" data-testid="breadcrumb">
      <span className="fd-crumbs-title">Started by</span>
      <ol>
        {ancestors.map((a, i) => (
          <li key={a.instance} data-testid="crumb" data-instance={a.instance}>
            <a href={instanceUrl(a.instance)} title={`${a.template} ${a.instance}: ${STATUS_LABEL[a.status] ?? a.status}${i === 0 ? ' (the root)' : ''}`}>
              <span className={`fd-status-dot st-${a.status}`} aria-hidden="true" />
              {a.template} <code>{a.instance.slice(0, 8)}</code>
            </a>
            <span className="fd-crumb-step" title={`its step ${a.step}${a.item_key ? `, item ${a.item_key}` : ''} started the next`}>
              <span aria-hidden="true">›</span>
              <code>
                {a.step}
                {a.item_key && <span className="fd-muted">[{a.item_key}]</span>}
              </code>
              <span aria-hidden="true">›</span>
            </span>
          </li>
        ))}
        <li aria-current="page" data-testid="crumb-here">
          <span className={`fd-status-dot st-${instance.status}`} aria-hidden="true" />
          {instance.template} <code>{instance.id.slice(0, 8)}</code>
        </li>
      </ol>
    </nav>
  )
}
