import { useEffect, useRef } from 'react'

/** The first field of a dialog's body, else its primary action: what the analyst came to use. */
const FIRST_FIELD = 'input:not([type=hidden]):not([disabled]), textarea:not([disabled]), select:not([disabled])'

export function initialFocus(root: ParentNode): HTMLElement | null {
  const body = root.querySelector('.fd-dialog-body')
  const field = body?.querySelector<HTMLElement>(FIRST_FIELD)
  if (field) return field
  return root.querySelector<HTMLElement>('.fd-dialog-foot .primary:not([disabled])') ?? root.querySelector<HTMLElement>('.fd-dialog-foot button:not([disabled])')
}

/**
 * A modal dialog (native <dialog>: focus is trapped and Escape closes it).
 *
 * showModal() focuses the first focusable element, which is the × in the header: a space typed
 * into what looked like the note field closed the dialog. Focus goes to the first field instead,
 * and back to the opener when the dialog goes away.
 */
export function Dialog({ title, onClose, children, footer, testid, wide = false }: { title: string; onClose(): void; children: React.ReactNode; footer?: React.ReactNode; testid: string; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null)
  useEffect(() => {
    const el = ref.current
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null
    if (el && !el.open) el.showModal()
    if (el) initialFocus(el)?.focus()
    return () => {
      el?.close()
      if (opener?.isConnected) opener.focus()
    }
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
