import { dismissToast, useEditor } from '../state/store'

export function Toasts() {
  const toasts = useEditor((s) => s.toasts)
  return (
    <div className="fd-toasts" role="status" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} className={`fd-toast ${t.kind}`} data-testid="toast" data-kind={t.kind}>
          <span>{t.text}</span>
          <button type="button" className="fd-icon-btn" aria-label="Dismiss" onClick={() => dismissToast(t.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  )
}
