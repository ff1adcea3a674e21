import { describe, expect, it } from 'vitest'
import { draftChanged, publishOffer } from './publishOffer'

describe('publishOffer', () => {
  it('offers nothing to publish when the saved draft behaves like the latest version', () => {
    expect(publishOffer(1, false, true)).toEqual({ unchanged: true, label: 'No changes since v1' })
  })
  it('offers the next version when the draft is a change', () => {
    expect(publishOffer(1, true, true)).toEqual({ unchanged: false, label: 'Publish v2' })
  })
  it('offers the next version while a change is not saved yet', () => {
    expect(publishOffer(3, false, false).label).toBe('Publish v4')
  })
  it('offers v1 when nothing was ever published', () => {
    expect(publishOffer(null, false, true)).toEqual({ unchanged: false, label: 'Publish v1' })
  })
})

describe('draftChanged', () => {
  it('takes the server word for a draft', () => {
    expect(draftChanged({ changed_since_published: false }, 2)).toBe(false)
    expect(draftChanged({ changed_since_published: true }, 2)).toBe(true)
  })
  it('counts a draft as a change when the server does not say', () => {
    expect(draftChanged({}, 2)).toBe(true)
  })
  it('without a draft: a change only when nothing was published', () => {
    expect(draftChanged(null, 2)).toBe(false)
    expect(draftChanged(null, null)).toBe(true)
  })
})
