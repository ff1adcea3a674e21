import { describe, expect, it } from 'vitest'
import { extractImages, formatBytes, imageOf, utf8Bytes } from './values'

// a 1×1 PNG, and the starts of the other formats
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='
const b64 = (bytes: string) => btoa(bytes)
const JPEG = b64('\xff\xd8\xff\xe0' + 'x'.repeat(60))
const GIF = b64('GIF89a' + 'x'.repeat(60))
const WEBP = b64('RIFF\x10\x00\x00\x00WEBPVP8 ' + 'x'.repeat(60))

describe('sizes', () => {
  it('says a size in bytes, kilobytes and megabytes as a download counts them', () => {
    expect(formatBytes(0)).toBe('0 B')
    expect(formatBytes(812)).toBe('812 B')
    expect(formatBytes(1024)).toBe('1.0 KB')
    expect(formatBytes(14_540)).toBe('14 KB')
    expect(formatBytes(1.2 * 1024 * 1024)).toBe('1.2 MB')
    expect(formatBytes(5 * 1024 ** 4)).toBe('5120 GB')
  })
  it('says nothing for what is not a size', () => {
    expect(formatBytes(Number.NaN)).toBe('')
    expect(formatBytes(-1)).toBe('')
  })
  it('counts text as UTF-8 bytes, a surrogate pair as one four-byte character', () => {
    expect(utf8Bytes('abc')).toBe(3)
    expect(utf8Bytes('é')).toBe(2)
    expect(utf8Bytes('€')).toBe(3)
    expect(utf8Bytes('😀')).toBe(4)
    expect(utf8Bytes('\ud800x')).toBe(4) // a lone surrogate is written as U+FFFD (3 bytes)
  })
})

describe('images in values', () => {
  it('recognises a data URL of a PNG, JPEG, GIF or WebP', () => {
    expect(imageOf(`data:image/png;base64,${PNG}`)).toMatchObject({ type: 'png', src: `data:image/png;base64,${PNG}`, bytes: 70 })
    expect(imageOf(`data:image/jpeg;base64,${JPEG}`)?.type).toBe('jpeg')
    expect(imageOf(`data:image/gif;base64,${GIF}`)?.type).toBe('gif')
    expect(imageOf(`data:image/webp;base64,${WEBP}`)?.type).toBe('webp')
    expect(imageOf(`data:image/png;base64,${JPEG}`)?.type).toBe('jpeg') // as the browser sniffs it
  })
  it('recognises bare base64 by the bytes it starts with, as the demo returns it', () => {
    expect(imageOf(PNG)).toMatchObject({ type: 'png', src: `data:image/png;base64,${PNG}` })
    expect(imageOf(JPEG)?.src).toBe(`data:image/jpeg;base64,${JPEG}`)
  })
  it('leaves text that only looks like an image alone', () => {
    expect(imageOf('data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=')).toBeNull() // SVG can carry script
    expect(imageOf(`data:image/png;base64,${b64('not an image at all, just words'.repeat(3))}`)).toBeNull()
    expect(imageOf(`data:image/png;base64,${PNG.slice(0, 40)}!!${PNG.slice(40)}`)).toBeNull() // not base64
    expect(imageOf('iVBORw0KGgo=')).toBeNull() // too short to be a picture
    expect(imageOf('a'.repeat(100))).toBeNull()
    expect(imageOf('hello, world')).toBeNull()
  })
  it('replaces each image by a placeholder and says where it was', () => {
    const value = { backend: 'local', png_base64: PNG, pages: [{ scan: `data:image/png;base64,${PNG}` }, 'text'], 'a b': PNG }
    const { value: shown, images } = extractImages(value)
    expect(images.map((i) => [i.n, i.path, i.type])).toEqual([
      [1, 'png_base64', 'png'],
      [2, 'pages[0].scan', 'png'],
      [3, '["a b"]', 'png'],
    ])
    expect(shown).toEqual({ backend: 'local', png_base64: '‹image 1: PNG, 70 B›', pages: [{ scan: '‹image 2: PNG, 70 B›' }, 'text'], 'a b': '‹image 3: PNG, 70 B›' })
    expect(value.png_base64).toBe(PNG) // the value itself is untouched (it is downloaded as it is)
  })
  it('keeps a value without images as the same object', () => {
    const value = { a: [1, 'two', { three: null }] }
    expect(extractImages(value).value).toBe(value)
    expect(extractImages('just text')).toEqual({ value: 'just text', images: [] })
  })
  it('keeps keys such as __proto__ as keys of the copy', () => {
    const value = JSON.parse(`{"__proto__": {"img": "${PNG}"}, "constructor": 1}`)
    const { value: shown } = extractImages(value)
    expect(Object.getPrototypeOf(shown)).toBe(Object.prototype)
    expect(JSON.stringify(shown)).toBe('{"__proto__":{"img":"‹image 1: PNG, 70 B›"},"constructor":1}')
  })
  it('stops at a depth no picture is found at, without overflowing the stack', () => {
    let deep: unknown = PNG
    for (let i = 0; i < 5000; i++) deep = [deep]
    expect(extractImages(deep).images).toEqual([])
  })
})
