import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { InstanceDetail } from '../api/types'

// The API answers with whatever the test puts here; the socket is a stand-in the test drives.
const answers: InstanceDetail[] = []
vi.mock('../api/client', () => ({
  enc: (s: string) => s,
  errorMessage: (e: unknown) => String(e),
  get: vi.fn(async () => answers.shift()),
}))

class FakeSocket {
  static CONNECTING = 0
  static OPEN = 1
  static CLOSED = 3
  static made: FakeSocket[] = []
  readyState = FakeSocket.CONNECTING
  onopen: (() => void) | null = null
  onmessage: ((m: { data: string }) => void) | null = null
  onclose: (() => void) | null = null
  url: string
  constructor(url: string) {
    this.url = url
    FakeSocket.made.push(this)
  }
  open() {
    this.readyState = FakeSocket.OPEN
    this.onopen?.()
  }
  send(seq: number) {
    this.onmessage?.({ data: JSON.stringify({ seq, type: 'x', node: '', attempt: null, data: {}, created_at: '' }) })
  }
  close() {
    if (this.readyState === FakeSocket.CLOSED) return
    this.readyState = FakeSocket.CLOSED
    this.onclose?.()
  }
}

const detail = (status: string, last_seq: number): InstanceDetail => ({ id: 'i1', template: 't', version: 1, status, input: {}, output: null, error: null, steps: [], last_seq })
const settle = () => new Promise((r) => setTimeout(r, 0))

beforeEach(() => {
  FakeSocket.made = []
  answers.length = 0
  vi.stubGlobal('WebSocket', FakeSocket)
  vi.stubGlobal('window', Object.assign(globalThis, { location: { protocol: 'http:', host: 'flowdesk.test' } }))
})
afterEach(() => vi.unstubAllGlobals())

describe('following a run that ends before the socket caught up', () => {
  it('keeps the socket until the last event has arrived, then stops', async () => {
    const { followInstance } = await import('./follow')
    answers.push(detail('completed', 7)) // a retry finished before the socket opened
    const modes: string[] = []
    const seen: number[] = []
    const missed = vi.fn()
    followInstance('i1', () => undefined, () => undefined, (m) => modes.push(m), 1000, (e) => seen.push(e.seq), 4, missed)
    await settle()
    const socket = FakeSocket.made[0]
    expect(socket.url).toContain('after=4') // only what the page lacks
    expect(modes).not.toContain('done')
    socket.open()
    answers.push(detail('completed', 7))
    socket.send(5)
    socket.send(6)
    expect(modes).not.toContain('done')
    socket.send(7)
    expect(seen).toEqual([5, 6, 7])
    expect(modes.at(-1)).toBe('done')
    expect(socket.readyState).toBe(FakeSocket.CLOSED)
    expect(missed).not.toHaveBeenCalled()
  })

  it('asks for the missing events when the socket closes first', async () => {
    const { followInstance } = await import('./follow')
    answers.push(detail('failed', 9))
    const missed = vi.fn()
    const modes: string[] = []
    followInstance('i1', () => undefined, () => undefined, (m) => modes.push(m), 1000, () => undefined, 0, missed)
    await settle()
    const socket = FakeSocket.made[0]
    socket.open()
    socket.send(1)
    socket.close()
    expect(missed).toHaveBeenCalledWith(1)
    expect(modes.at(-1)).toBe('done')
  })

  it('stops at once when it has already seen every event', async () => {
    const { followInstance } = await import('./follow')
    answers.push(detail('completed', 3))
    const modes: string[] = []
    followInstance('i1', () => undefined, () => undefined, (m) => modes.push(m), 1000, () => undefined, 3)
    await settle()
    expect(modes.at(-1)).toBe('done')
    expect(FakeSocket.made[0].readyState).toBe(FakeSocket.CLOSED)
  })
})
