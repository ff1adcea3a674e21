import { describe, expect, it } from 'vitest'
import { PHRASE_KINDS, STATUS_LABEL, formatSeconds, nodeSummary, nodeTags } from './look'

describe('status words', () => {
  it('gives each status its own word', () => {
    const words = Object.values(STATUS_LABEL)
    expect(new Set(words).size).toBe(words.length)
  })
  it('keeps "Skipped" for a path not taken and says a step the run never got to was not reached', () => {
    expect(STATUS_LABEL.skipped).toBe('Skipped')
    expect(STATUS_LABEL.not_run).toBe('Not reached')
  })
})

describe('what map, loop and sub-workflow nodes say they do', () => {
  it('says what a map goes over and how many at a time', () => {
    expect(nodeSummary('map', { items: 'steps.x.output', handler: 'demo.noop' })).toBe('for each in steps.x.output · 10 at a time')
    expect(nodeSummary('map', { items: 'input.rows', workflow: 'resize-image', concurrency: 3 })).toBe('for each in input.rows · 3 at a time')
    expect(nodeSummary('map', {})).toBe('for each item · 10 at a time')
  })
  it('says how often a loop repeats and what it runs', () => {
    expect(nodeSummary('loop', { workflow: 'send-report', count: 5, max_iterations: 10 })).toBe('×5 · runs send-report')
    expect(nodeSummary('loop', { workflow: 'send-report', while: 'iteration.index < 3' })).toBe('while iteration.index < 3 · runs send-report')
    expect(nodeSummary('loop', {})).toBe('')
  })
  it('says which child a sub-workflow runs, or starts without waiting', () => {
    expect(nodeSummary('subworkflow', { workflow: 'image-pipeline' })).toBe('runs image-pipeline')
    expect(nodeSummary('subworkflow', { workflow: 'image-pipeline', wait: false })).toBe('starts image-pipeline, no wait')
    expect(nodeSummary('subworkflow', {})).toBe('')
  })
  it('names the choices of a workflow an expression picks, or the expression without a list', () => {
    expect(nodeSummary('subworkflow', { workflow: '{{ input.kind }}', allowed_workflows: ['a', 'b'] })).toBe('runs one of a, b')
    expect(nodeSummary('subworkflow', { workflow: '{{ input.kind }}' })).toBe('runs {{ input.kind }}')
  })
  it('draws these phrases on a line of their own, other summaries beside the type', () => {
    expect([...PHRASE_KINDS].sort()).toEqual(['approval', 'loop', 'map', 'signal', 'subworkflow'])
    expect(PHRASE_KINDS.has('task')).toBe(false)
  })
})

describe('what a notify node says it does', () => {
  it('names the first recipients and counts the rest', () => {
    expect(nodeSummary('notify', { to: ['ops@example.com'], subject: 'Hi' })).toBe('to ops@example.com')
    expect(nodeSummary('notify', { to: ['user:alice', 'group:reviewers'] })).toBe('to user:alice, group:reviewers')
    expect(nodeSummary('notify', { to: ['a@example.com', 'b@example.com', '{{ input.owner }}', 'group:ops'] })).toBe('to a@example.com, b@example.com +2 more')
  })
  it('says nothing until it has a recipient', () => {
    expect(nodeSummary('notify', {})).toBe('')
    expect(nodeSummary('notify', { to: ['', 5] })).toBe('')
  })
})

describe('what a signal node says it waits for', () => {
  const spaced = (s: string) => s.replace(/\u00a0/g, ' ')
  it('names the signal and its timeout in words', () => {
    expect(spaced(nodeSummary('signal', { name: 'approve', timeout_s: 3600 }))).toBe("waits for 'approve' · 1 h timeout")
    expect(spaced(nodeSummary('signal', { name: 'order.paid', timeout_s: 90 }))).toBe("waits for 'order.paid' · 1 min 30 s timeout")
  })
  it('never breaks a line inside the timeout', () => {
    expect(nodeSummary('signal', { name: 'approve', timeout_s: 5400 }).split(' · ')[1]).not.toMatch(/ /)
    expect(nodeSummary('signal', { name: 'approve' })).toBe("waits for 'approve'")
  })
  it('says nothing until it has a name, and leaves out a timeout that is not a positive number', () => {
    expect(nodeSummary('signal', {})).toBe('')
    expect(nodeSummary('signal', { name: '', timeout_s: 60 })).toBe('')
    expect(nodeSummary('signal', { name: 'go', timeout_s: '{{ input.t }}' })).toBe("waits for 'go'")
    expect(nodeSummary('signal', { name: 'go', timeout_s: 0 })).toBe("waits for 'go'")
  })
})

describe('formatSeconds', () => {
  it('says a duration in its two largest units', () => {
    expect(formatSeconds(0.5)).toBe('0.5 s')
    expect(formatSeconds(45)).toBe('45 s')
    expect(formatSeconds(60)).toBe('1 min')
    expect(formatSeconds(5400)).toBe('1 h 30 min')
    expect(formatSeconds(86400)).toBe('1 d')
    expect(formatSeconds(90000)).toBe('1 d 1 h')
    expect(formatSeconds(366 * 86400)).toBe('366 d')
  })
  it('never loses a whole unit to rounding', () => {
    for (let s = 60; s < 200000; s += 997) {
      const [whole, unit] = formatSeconds(s).split(' ')
      const size = { min: 60, h: 3600, d: 86400 }[unit]!
      expect(Number(whole)).toBe(Math.floor(s / size))
    }
  })
})

describe('tags under a node', () => {
  it('names the compensation handler, as a name or with its own policy', () => {
    expect(nodeTags({ handler: 'demo.reserve', compensate: 'demo.release' }).map((t) => t.text)).toEqual(['undo: demo.release'])
    const own = nodeTags({ compensate: { handler: 'demo.release', retry: { max_attempts: 5 } } })
    expect(own.map((t) => [t.key, t.text])).toEqual([['undo', 'undo: demo.release']])
    expect(own[0].title).toContain('own retry policy')
  })
  it('marks a step nothing waits for, and says nothing of the defaults', () => {
    expect(nodeTags({ handler: 'demo.notify', wait: false }).map((t) => t.text)).toEqual(['fire and forget'])
    expect(nodeTags({ handler: 'demo.notify', wait: true })).toEqual([])
    expect(nodeTags({ compensate: '' })).toEqual([])
    expect(nodeTags({ compensate: { retry: {} } })).toEqual([])
  })
})

describe('what an approval node says', () => {
  const spaced = (s: string) => s.replace(/\u00a0/g, ' ')
  it('names who decides, the quorum, the form and the due time', () => {
    const config = { title: 'Approve', assignees: ['ann', 'bob'], groups: ['managers'], quorum: 2, form: [{ name: 'a', type: 'text' }], due_s: 172800 }
    expect(spaced(nodeSummary('approval', config))).toBe('by ann, bob +1 · 2 must approve · 1 field · due in 2 d')
    expect(nodeSummary('approval', { title: 'x', groups: ['managers'] })).toBe('by group managers')
  })
  it('says nothing before anyone is named', () => {
    expect(nodeSummary('approval', { title: 'Approve the budget' })).toBe('')
  })
})
