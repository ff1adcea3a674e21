import { useMemo, useState } from 'react'
import { pretty } from '../graph/json'
import { Dialog } from '../ui/Dialog'
import { extractImages, formatBytes, utf8Bytes, type FoundImage } from './values'

/** Longer JSON than this is folded: its size and a download, the text on demand. */
const FOLD_CHARS = 32_000
/** Shown at most, even on demand (a multi-megabyte text node slows the page); the download has all. */
const SHOW_CHARS = 1_000_000
const MAX_THUMBS = 24

/** Saves a value as a JSON file (a blob: nothing leaves the browser, the CSP is not involved). */
function downloadJson(name: string, value: unknown) {
  const url = URL.createObjectURL(new Blob([pretty(value)], { type: 'application/json' }))
  const link = document.createElement('a')
  link.href = url
  link.download = name
  document.body.append(link)
  link.click()
  link.remove()
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

/**
 * A step's input or output: its size and a download, its images as thumbnails, and the JSON with
 * each image named by a placeholder; folded when large. `version` says when the value may have
 * changed (each live refresh brings equal values as new objects: they are not measured again).
 */
export function ValueView({
  label,
  value,
  fileName,
  version,
  testid,
  open: openAtFirst = true,
}: {
  label: string
  value: unknown
  fileName: string
  version: string
  testid?: string
  open?: boolean
}) {
  const [open, setOpen] = useState(openAtFirst)
  const [shown, setShown] = useState(false)
  const [viewing, setViewing] = useState<FoundImage | null>(null)
  const view = useMemo(() => {
    const { value: readable, images } = extractImages(value)
    const text = typeof readable === 'string' ? readable : pretty(readable)
    let lines = 1
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines += 1
    return { images, text, lines, bytes: utf8Bytes(JSON.stringify(value) ?? '') }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [version])
  const folded = view.text.length > FOLD_CHARS
  return (
    <section className="fd-value" data-testid={testid} data-bytes={view.bytes} aria-label={label}>
      <header className="fd-value-head">
        <h3>
          <button type="button" className="fd-value-toggle" aria-expanded={open} onClick={() => setOpen(!open)}>
            {label}
          </button>{' '}
          <span className="fd-muted" data-testid="value-size">
            · {formatBytes(view.bytes)}
          </span>
        </h3>
        <button type="button" className="fd-btn small" onClick={() => downloadJson(fileName, value)} title={`Save as ${fileName}`} data-testid="value-download">
          Download
        </button>
      </header>
      {open && view.images.length > 0 && (
        <div className="fd-thumbs">
          {view.images.slice(0, MAX_THUMBS).map((image) => (
            <figure key={image.n} className="fd-thumb">
              <button type="button" onClick={() => setViewing(image)} title="See it full size">
                <img src={image.src} alt={`Image ${image.n}${image.path ? ` (${image.path})` : ''}`} data-testid="value-image" />
              </button>
              <figcaption>
                {image.n}. {image.path || label.toLowerCase()} · {image.type.toUpperCase()} · {formatBytes(image.bytes)}
              </figcaption>
            </figure>
          ))}
          {view.images.length > MAX_THUMBS && <p className="fd-help">and {view.images.length - MAX_THUMBS} more images: download the value to see them.</p>}
        </div>
      )}
      {!open ? null : folded && !shown ? (
        <div className="fd-value-folded" data-testid="value-folded">
          <span>
            {formatBytes(view.bytes)} of JSON, {view.lines.toLocaleString()} lines: folded to keep the page quick.
          </span>
          <button type="button" className="fd-link-btn" onClick={() => setShown(true)}>
            Show it
          </button>
        </div>
      ) : (
        <>
          <pre className="fd-pre fd-value-text">{view.text.length > SHOW_CHARS ? `${view.text.slice(0, SHOW_CHARS)}…` : view.text}</pre>
          {view.text.length > SHOW_CHARS && <p className="fd-help">The first {formatBytes(SHOW_CHARS)} of the text; Download has all of it.</p>}
          {folded && (
            <button type="button" className="fd-link-btn" onClick={() => setShown(false)}>
              Fold
            </button>
          )}
        </>
      )}
      {viewing && <ImageDialog image={viewing} label={label} onClose={() => setViewing(null)} />}
    </section>
  )
}

function ImageDialog({ image, label, onClose }: { image: FoundImage; label: string; onClose(): void }) {
  const [size, setSize] = useState<[number, number] | null>(null)
  const name = `${label.toLowerCase()}-image-${image.n}.${image.type === 'jpeg' ? 'jpg' : image.type}`
  return (
    <Dialog
      title={`Image ${image.n} of the ${label.toLowerCase()}`}
      onClose={onClose}
      testid="image-dialog"
      wide
      footer={
        <>
          <span className="fd-muted fd-spacer">
            {image.path && <code>{image.path}</code>} {image.type.toUpperCase()} · {formatBytes(image.bytes)}
            {size && ` · ${size[0]} × ${size[1]} px`}
          </span>
          <a className="fd-btn" href={image.src} download={name}>
            Download image
          </a>
          <button type="button" className="fd-btn primary" onClick={onClose}>
            Close
          </button>
        </>
      }
    >
      <div className="fd-lightbox">
        <img src={image.src} alt={`Image ${image.n}, full size`} onLoad={(e) => setSize([e.currentTarget.naturalWidth, e.currentTarget.naturalHeight])} data-testid="image-full" />
      </div>
    </Dialog>
  )
}
