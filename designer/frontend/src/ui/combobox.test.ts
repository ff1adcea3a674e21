import { describe, expect, it } from 'vitest'
import { clampActive, firstActive, intentOf, PAGE } from './combobox'

describe('intentOf: what a key does in a picker', () => {
  it('opens a closed list with ↓ or ↑ and leaves every other key to the text box', () => {
    expect(intentOf('ArrowDown', false, 0, 5)).toEqual({ kind: 'open' })
    expect(intentOf('ArrowUp', false, 0, 5)).toEqual({ kind: 'open' })
    for (const key of ['Enter', 'Escape', 'a', 'Tab', 'PageDown']) expect(intentOf(key, false, 0, 5)).toBeNull()
  })
  it('moves round an open list: past the last comes the first, before the first the last', () => {
    expect(intentOf('ArrowDown', true, 1, 3)).toEqual({ kind: 'move', to: 2 })
    expect(intentOf('ArrowDown', true, 2, 3)).toEqual({ kind: 'move', to: 0 })
    expect(intentOf('ArrowUp', true, 0, 3)).toEqual({ kind: 'move', to: 2 })
    expect(intentOf('ArrowUp', true, 2, 3)).toEqual({ kind: 'move', to: 1 })
  })
  it('stays put in an empty list', () => {
    expect(intentOf('ArrowDown', true, 0, 0)).toEqual({ kind: 'move', to: 0 })
    expect(intentOf('ArrowUp', true, 0, 0)).toEqual({ kind: 'move', to: 0 })
    expect(intentOf('PageDown', true, 0, 0)).toEqual({ kind: 'move', to: 0 })
  })
  it('jumps a page with Page Up/Down, stopping at the ends', () => {
    expect(intentOf('PageDown', true, 0, 30)).toEqual({ kind: 'move', to: PAGE })
    expect(intentOf('PageDown', true, 25, 30)).toEqual({ kind: 'move', to: 29 })
    expect(intentOf('PageUp', true, 3, 30)).toEqual({ kind: 'move', to: 0 })
    expect(intentOf('PageUp', true, 20, 30)).toEqual({ kind: 'move', to: 20 - PAGE })
  })
  it('chooses with Enter, closes with Escape or Alt+↑, and leaves typing alone', () => {
    expect(intentOf('Enter', true, 1, 3)).toEqual({ kind: 'choose' })
    expect(intentOf('Escape', true, 1, 3)).toEqual({ kind: 'close' })
    expect(intentOf('ArrowUp', true, 1, 3, true)).toEqual({ kind: 'close' })
    expect(intentOf('ArrowDown', true, 1, 3, true)).toBeNull()
    for (const key of ['a', 'Home', 'End', 'Backspace', 'Tab']) expect(intentOf(key, true, 1, 3)).toBeNull()
  })
})

describe('firstActive: the option highlighted as the list opens', () => {
  it('is the current value while nothing is typed, so ↓ Enter keeps it', () => {
    expect(firstActive('', 3)).toBe(3)
    expect(firstActive('  ', 2)).toBe(2)
  })
  it('is the first when the value is not listed, or once something is typed', () => {
    expect(firstActive('', -1)).toBe(0)
    expect(firstActive('re', 3)).toBe(0)
  })
})

describe('clampActive', () => {
  it('keeps the highlight inside a list that shrank', () => {
    expect(clampActive(4, 2)).toBe(1)
    expect(clampActive(1, 5)).toBe(1)
    expect(clampActive(3, 0)).toBe(0)
  })
})
