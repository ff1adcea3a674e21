import { describe, expect, it } from 'vitest'
import type { VersionInfo } from '../api/types'
import { TYPES } from '../graph/fixtures'
import type { ChildVersions } from '../state/store'
import { keyOfWidget, pinErrors, pinProblem, pinState, publishedVersions, versionOptions, workflowChanges } from './childVersions'

const version = (number: number, status = 'published', change_note = '', published_by: string | null = 'ana'): VersionInfo => ({
  number, status, change_note, published_by, checksum: `c${number}`, created_at: '2026-01-01T10:00:00Z', published_at: status === 'published' ? '2026-01-02T10:00:00Z' : null,
})
const numbers = (vs: (VersionInfo | null)[]) => vs.map((v) => (v ? v.number : 'latest'))
const VERSIONS = [version(3, 'published', 'Sharper thumbnails', 'olga'), version(2, 'published', 'Adds WebP'), version(1, 'published', 'First cut')]
const loaded = (list: VersionInfo[]): ChildVersions => ({ status: 'loaded', list, message: null })

describe('publishedVersions', () => {
  it('keeps the versions a step can start, newest first: not the draft, not archived ones', () => {
    const all = [version(1), version(4, 'draft'), version(3), version(2, 'archived')]
    expect(publishedVersions(all).map((v) => v.number)).toEqual([3, 1])
  })
})

describe('versionOptions', () => {
  it('offers Latest published first, then every version, for an empty search', () => {
    expect(numbers(versionOptions(VERSIONS, ''))).toEqual(['latest', 3, 2, 1])
  })
  it('finds a version by its number, with or without a v', () => {
    expect(numbers(versionOptions(VERSIONS, '2'))).toEqual([2])
    expect(numbers(versionOptions(VERSIONS, ' V3 '))).toEqual([3])
    expect(numbers(versionOptions(VERSIONS, '7'))).toEqual([])
  })
  it('finds versions by words of their change note or publisher, and the default by "latest"', () => {
    expect(numbers(versionOptions(VERSIONS, 'webp'))).toEqual([2])
    expect(numbers(versionOptions(VERSIONS, 'olga'))).toEqual([3])
    expect(numbers(versionOptions(VERSIONS, 'latest'))).toEqual(['latest'])
    expect(numbers(versionOptions(VERSIONS, 'first cut'))).toEqual([1])
    expect(numbers(versionOptions(VERSIONS, 'first zebra'))).toEqual([])
  })
})

describe('workflowChanges: choosing another Workflow', () => {
  const schema = TYPES.subworkflow.schema
  it('finds the Workflow and Version fields by their widgets', () => {
    expect(keyOfWidget(schema, 'template')).toBe('workflow')
    expect(keyOfWidget(schema, 'template-version')).toBe('version')
    expect(keyOfWidget(TYPES.task.schema, 'template-version')).toBeUndefined()
  })
  it('drops the pinned version with it, as one change: v2 of one template is nothing to another', () => {
    expect(workflowChanges(schema, { workflow: 'resize-image', version: 2 }, 'workflow', 'send-report')).toEqual([
      [['workflow'], 'send-report'],
      [['version'], undefined],
    ])
    expect(workflowChanges(schema, { workflow: 'resize-image', version: 2 }, 'workflow', '{{ input.kind }}')).toEqual([
      [['workflow'], '{{ input.kind }}'],
      [['version'], undefined],
    ])
  })
  it('changes only the Workflow when nothing is pinned, or the same workflow is chosen again', () => {
    expect(workflowChanges(schema, { workflow: 'resize-image' }, 'workflow', 'send-report')).toEqual([[['workflow'], 'send-report']])
    expect(workflowChanges(schema, { workflow: 'resize-image', version: 2 }, 'workflow', 'resize-image')).toEqual([[['workflow'], 'resize-image']])
    expect(workflowChanges(TYPES.task.schema, { workflow: 'a', version: 2 }, 'workflow', 'b')).toEqual([[['workflow'], 'b']])
  })
})

describe('pinState and pinProblem: what the Version field says', () => {
  it('waits for a workflow, and lists no versions for an expression', () => {
    expect(pinState(undefined, undefined, undefined)).toEqual({ kind: 'no-workflow' })
    expect(pinState('  ', 2, undefined)).toEqual({ kind: 'no-workflow' })
    expect(pinState('{{ input.kind }}', 2, loaded(VERSIONS)).kind).toBe('expression')
  })
  it('says loading and failures apart from a wrong pin', () => {
    expect(pinState('resize-image', 2, undefined)).toEqual({ kind: 'loading' })
    expect(pinState('resize-image', 2, { status: 'loading', list: [], message: null })).toEqual({ kind: 'loading' })
    expect(pinState('resize-image', 2, { status: 'error', list: [], message: 'cannot reach the server' })).toEqual({ kind: 'error', message: 'cannot reach the server' })
  })
  it('accepts the latest and a published version, and names a pin the template does not have', () => {
    expect(pinState('resize-image', undefined, loaded(VERSIONS)).kind).toBe('ok')
    expect(pinState('resize-image', 2, loaded(VERSIONS)).kind).toBe('ok')
    const state = pinState('resize-image', 7, loaded(VERSIONS))
    expect(state.kind).toBe('unknown')
    expect(pinProblem('resize-image', 7, state)).toBe('resize-image has no published version 7 (published: v3, v2, v1): choose one, or Latest published.')
    expect(pinProblem('resize-image', 2, pinState('resize-image', 2, loaded(VERSIONS)))).toBeNull()
  })
  it('treats a pin that is not a number as one the template does not have', () => {
    const state = pinState('resize-image', '2', loaded(VERSIONS))
    expect(state.kind).toBe('unknown')
    expect(pinProblem('resize-image', '2', state)).toBe(`a version is a number, not "2": choose one of resize-image's, or Latest published.`)
  })
})

describe("pinErrors: the server's word on a pin, said once", () => {
  const lacks = { code: 'unknown_version', field: 'config.version', message: "template 'resize-image' has no published version 7 (published: 1, 2, 3)" }
  const schema = { code: 'invalid_config', field: 'config.version', message: 'config.version: 0 is less than the minimum of 1' }

  it('leaves out unknown_version once the versions are loaded: the picker judges the pin, also the moment it changes', () => {
    expect(pinErrors([lacks, schema], pinState('resize-image', 7, loaded(VERSIONS)))).toEqual([schema])
    expect(pinErrors([lacks], pinState('resize-image', 2, loaded(VERSIONS)))).toEqual([]) // v2 chosen; the server has not checked it yet
  })
  it('keeps it while the versions load or cannot be listed, and for a workflow an expression chooses', () => {
    expect(pinErrors([lacks], pinState('resize-image', 7, undefined))).toEqual([lacks])
    expect(pinErrors([lacks], pinState('resize-image', 7, { status: 'error', list: [], message: 'offline' }))).toEqual([lacks])
    expect(pinErrors([lacks], pinState('{{ input.kind }}', 7, loaded(VERSIONS)))).toEqual([lacks])
  })
})
