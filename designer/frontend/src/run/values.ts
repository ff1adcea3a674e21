/**
 * A step's input or output as the step drawer shows it: its size, and the images inside it drawn
 * as images. Steps return images as base64 text (a data URL, or bare base64 such as the demo's
 * `png_base64`); printed as JSON that text is kilobytes of noise around the few fields that
 * matter, so each image is taken out, shown as a thumbnail, and named by a short placeholder.
 */
import { objectOf } from '../graph/json'

/** "812 B", "14.2 KB", "1.2 MB" (powers of 1,024, as file managers count a download). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return ''
  if (bytes < 1024) return `${Math.round(bytes)} B`
  const units = ['KB', 'MB', 'GB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit += 1
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`
}

/** The UTF-8 length of a text without encoding it (a value can be megabytes). */
export function utf8Bytes(text: string): number {
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x80) bytes += 1
    else if (c < 0x800) bytes += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4 // a surrogate pair: one code point
      i += 1
    } else bytes += 3
  }
  return bytes
}

export type ImageType = 'png' | 'jpeg' | 'gif' | 'webp'

export interface ImageText {
  type: ImageType
  /** What an <img> loads: the data URL (built for bare base64). */
  src: string
  /** The image's size in bytes (decoded). */
  bytes: number
}

const DATA_URL = /^data:image\/(png|jpeg|jpg|gif|webp);base64,/i
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/
/** Shorter bare base64 is some other short text that happens to start like an image. */
const MIN_BARE = 64

/** The format the first bytes announce (the decoded start of the base64). */
function signature(head: string): ImageType | null {
  let bytes: string
  try {
    bytes = atob(head.slice(0, 16))
  } catch {
    return null
  }
  if (bytes.startsWith('\x89PNG\r\n\x1a\n')) return 'png'
  if (bytes.startsWith('\xff\xd8\xff')) return 'jpeg'
  if (bytes.startsWith('GIF87a') || bytes.startsWith('GIF89a')) return 'gif'
  if (bytes.startsWith('RIFF') && bytes.slice(8, 12) === 'WEBP') return 'webp'
  return null
}

const decodedBytes = (base64: string) => Math.floor((base64.length * 3) / 4) - (base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0)

/**
 * The image a text holds: a data URL of a PNG, JPEG, GIF or WebP, or bare base64 whose first bytes
 * are one of those. Only those four (an SVG can carry script), and only when the bytes are one of
 * them (the type is the bytes', as a browser sniffs it), so a broken image stays the text it is.
 */
export function imageOf(text: string): ImageText | null {
  const url = DATA_URL.exec(text.slice(0, 32))
  const base64 = url ? text.slice(url[0].length) : text
  if (!url && base64.length < MIN_BARE) return null
  const type = signature(base64)
  if (!type || !BASE64.test(base64)) return null
  return { type, src: url ? text : `data:image/${type};base64,${base64}`, bytes: decodedBytes(base64) }
}

export interface FoundImage extends ImageText {
  /** 1, 2, … in the order they appear in the value. */
  n: number
  /** Where it is in the value: `png_base64`, `pages[2].scan` ("" for the value itself). */
  path: string
}

/** What stands in the JSON view for image `n`. */
export const imagePlaceholder = (image: Pick<FoundImage, 'n' | 'type' | 'bytes'>) => `‹image ${image.n}: ${image.type.toUpperCase()}, ${formatBytes(image.bytes)}›`

const IDENT = /^[A-Za-z_$][\w$]*$/
const join = (path: string, key: string) => (IDENT.test(key) ? (path ? `${path}.${key}` : key) : `${path}[${JSON.stringify(key)}]`)

/** Deeper than this the value is left as it is (a value this deep is no picture book). */
const MAX_DEPTH = 200

/**
 * The value with every image text replaced by its placeholder, and the images found. Objects on
 * the way to an image are copied (keys such as `__proto__` stay own keys); the rest is shared.
 */
export function extractImages(value: unknown): { value: unknown; images: FoundImage[] } {
  const images: FoundImage[] = []
  const walk = (v: unknown, path: string, depth: number): unknown => {
    if (typeof v === 'string') {
      const image = v.length >= MIN_BARE || v.startsWith('data:') ? imageOf(v) : null
      if (!image) return v
      const found = { ...image, n: images.length + 1, path }
      images.push(found)
      return imagePlaceholder(found)
    }
    if (depth >= MAX_DEPTH || v === null || typeof v !== 'object') return v
    if (Array.isArray(v)) {
      let copy: unknown[] | null = null
      v.forEach((item, i) => {
        const next = walk(item, `${path}[${i}]`, depth + 1)
        if (next !== item) (copy ??= [...v])[i] = next
      })
      return copy ?? v
    }
    let changed = false
    const entries = Object.entries(v).map(([key, item]) => {
      const next = walk(item, join(path, key), depth + 1)
      if (next !== item) changed = true
      return [key, next] as const
    })
    return changed ? objectOf(entries) : v
  }
  return { value: walk(value, '', 0), images }
}
