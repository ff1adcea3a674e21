import { describe, expect, it } from 'vitest'
import { lookupFor } from './directory'

describe('directory lookups', () => {
  it('asks for people or groups by what was typed', () => {
    expect(lookupFor('users', ' an ')).toEqual({ kind: 'users', q: 'an', prefix: '' })
    expect(lookupFor('groups', 'man')).toEqual({ kind: 'groups', q: 'man', prefix: '' })
  })
  it('keeps a recipient’s prefix, and asks nothing for an address or an expression', () => {
    expect(lookupFor('recipients', 'group:ma')).toEqual({ kind: 'groups', q: 'ma', prefix: 'group:' })
    expect(lookupFor('recipients', 'user:an')).toEqual({ kind: 'users', q: 'an', prefix: 'user:' })
    expect(lookupFor('recipients', 'an')).toEqual({ kind: 'users', q: 'an', prefix: 'user:' })
    expect(lookupFor('recipients', 'ops@example.com')).toBeNull()
    expect(lookupFor('users', '{{ input.owner }}')).toBeNull()
    expect(lookupFor('users', '   ')).toBeNull()
    expect(lookupFor('users', 'x'.repeat(151))).toBeNull()
  })
})
