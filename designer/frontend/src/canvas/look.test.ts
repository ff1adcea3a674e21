import { describe, expect, it } from 'vitest'
import { PHRASE_KINDS, STATUS_LABEL, nodeSummary } from './look'

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
    expect([...PHRASE_KINDS].sort()).toEqual(['loop', 'map', 'subworkflow'])
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
