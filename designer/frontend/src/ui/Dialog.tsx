import { useEffect, useRef } from 'react'

/** A modal dialog (native <dialog>: focus is trapped and Escape closes it). */
export function Dialog({ title, onClose, children, footer, testid, wide = false }: { title: string; onClose(): void; children: React.ReactNode; footer?: React.ReactNode; testid: string; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null)
  useEffect(() => {
    const el = ref.current
    if (el && !el.open) el.showModal()
    return () => el?.close()
  }, [])
  return (
    <dialog
      ref={ref}
      className={`fd-dialog ${wide ? 'wide' : ''}`}
      data-testid={testid}
      aria-label={title}
      onCancel={(e) => {
        e.preventDefault()
        onClose()
      }}
      onClick={(e) => {
        if (e.target === ref.current) onClose() // a click on the backdrop
      }}
    >
      <div className="fd-dialog-inner">
        <header className="fd-dialog-head">
          <h2>{title}</h2>
          <button type="button" className="fd-icon-btn" aria-label="Close" onClick={onClose}>
            ×
          </button>
        </header>
        <div className="fd-dialog-body">{children}</div>
        {footer && <footer className="fd-dialog-foot">{footer}</footer>}
      </div>
    </dialog>
  )
}
