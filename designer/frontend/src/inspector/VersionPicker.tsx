/**
 * The Version field of map, loop and sub-workflow: "Latest published" or one of the chosen child
 * template's published versions, in the shared combobox. Until a workflow is chosen there is
 * nothing to list, and the field says so; a pin the template does not have is said, not kept
 * silently; a pin dropped because the workflow changed is said once, with what replaced it.
 */
import { useEffect, useId, useState } from 'react'
import type { VersionInfo } from '../api/types'
import type { Json } from '../graph/types'
import { useEditor, type ChildVersions } from '../state/store'
import { Combobox } from '../ui/Combobox'
import { formatWhen } from '../ui/when'
import { loadChildVersions, pinProblem, pinState, versionOptions } from './childVersions'

interface Props {
  id: string
  testid: string
  /** The pinned version number; undefined: the latest published. */
  value: Json | undefined
  /** The step's Workflow value (a name, a `{{ expression }}`, or nothing yet). */
  workflow: Json | undefined
  disabled: boolean
  onChange(v: Json | undefined): void
}

/** An option: a version, or `null` for "Latest published". */
type Option = VersionInfo | null

export function VersionPicker(props: Props) {
  const name = typeof props.workflow === 'string' ? props.workflow : ''
  const loaded = useEditor((s) => s.childVersions[name])
  // a template's name (not nothing yet, not an expression): its versions are to be listed
  const listed = pinState(props.workflow, undefined, undefined).kind === 'loading' ? name : ''
  useEffect(() => {
    if (listed) loadChildVersions(listed)
  }, [listed])
  return <VersionField {...props} loaded={loaded} />
}

/** The field for the versions loaded so far (apart from the store, to be rendered as it is). */
export function VersionField({ id, testid, value, workflow, disabled, onChange, loaded }: Props & { loaded: ChildVersions | undefined }) {
  const name = typeof workflow === 'string' ? workflow : ''
  const state = pinState(workflow, value, loaded)
  const hintId = useId()
  const cleared = useClearedPin(name, value)

  const versions = state.kind === 'ok' || state.kind === 'unknown' ? state.versions : []
  const latest = versions[0]?.number
  const options = (query: string): Option[] => (state.kind === 'ok' || state.kind === 'unknown' ? versionOptions(versions, query) : [])
  const empty = (query: string) =>
    state.kind === 'error'
      ? `Could not load the versions of ${name}: ${state.message}. Close the list and open it again to retry.`
      : state.kind === 'loading'
        ? `Loading the published versions of ${name}…`
        : `No published version of ${name} matches “${query.trim()}”: type a number like ${latest ?? 1}, or clear the search.`
  const pinned = typeof value === 'number' ? value : undefined
  const problem = pinProblem(name, value, state)
  const off = disabled || state.kind === 'no-workflow' || state.kind === 'expression'

  return (
    <>
      <Combobox<Option>
        id={id}
        testid={testid}
        listLabel={`Published versions of ${name}`}
        options={options}
        optionKey={(v) => (v ? String(v.number) : 'latest')}
        optionTestId={(v) => `version-option-${v ? v.number : 'latest'}`}
        isCurrent={(v) => (v?.number ?? undefined) === pinned}
        renderOption={(v) =>
          v ? (
            <>
              <span className="fd-picker-name">
                v{v.number}
                {v.number === latest && <span className="fd-picker-tag">latest</span>}
              </span>
              <span className="fd-picker-desc">
                {[v.published_at && `published ${formatWhen(v.published_at)}`, v.published_by && `by ${v.published_by}`].filter(Boolean).join(' ')}
                {v.change_note && ` · ${v.change_note}`}
              </span>
            </>
          ) : (
            <>
              <span className="fd-picker-name is-plain">Latest published</span>
              <span className="fd-picker-desc">{latest ? `now v${latest}; follows each new publish` : 'follows each new publish'}</span>
            </>
          )
        }
        display={value === undefined ? (off && state.kind === 'no-workflow' ? '' : 'Latest published') : `v${String(value)}`}
        placeholder={state.kind === 'no-workflow' ? 'Choose a workflow first' : 'Latest published'}
        searchPlaceholder="Type a version number or words of its note"
        empty={empty}
        disabled={off}
        invalid={problem !== null}
        describedBy={hintId}
        onOpen={() => loadChildVersions(name, true)} // it may have been published since
        onChoose={(v) => (v?.number ?? undefined) !== pinned && onChange(v?.number)}
      />
      <PinHint id={hintId} testid={testid} name={name} pinned={pinned} kind={state.kind} cleared={cleared} disabled={disabled} onClear={() => onChange(undefined)} />
      {problem && (
        <div className="fd-field-errors" role="alert" id={hintId} data-testid={`pin-problem-${testid}`}>
          {problem}
        </div>
      )}
    </>
  )
}

/** The pin the last change of workflow dropped (the version and the template it was of), until the pin or workflow changes again. */
function useClearedPin(workflow: string, value: Json | undefined): { version: number; of: string } | null {
  const [seen, setSeen] = useState({ workflow, value })
  const [cleared, setCleared] = useState<{ version: number; of: string } | null>(null)
  if (seen.workflow !== workflow || seen.value !== value) {
    // adjusted while rendering (React's pattern for state that follows props), not in an effect
    setSeen({ workflow, value })
    setCleared(seen.workflow !== workflow && typeof seen.value === 'number' && value === undefined && seen.workflow ? { version: seen.value, of: seen.workflow } : null)
  }
  return cleared
}

function PinHint({
  id,
  testid,
  name,
  pinned,
  kind,
  cleared,
  disabled,
  onClear,
}: {
  id: string
  testid: string
  name: string
  pinned: number | undefined
  kind: string
  cleared: { version: number; of: string } | null
  disabled: boolean
  onClear(): void
}) {
  if (kind === 'no-workflow')
    return (
      <div className="fd-help" id={id} data-testid={`pin-hint-${testid}`}>
        Choose the Workflow first: its published versions are listed here.
      </div>
    )
  if (kind === 'expression')
    return (
      <div className={`fd-hint ${pinned !== undefined ? 'warn' : ''}`} id={id} data-testid={`pin-hint-${testid}`}>
        An expression chooses the workflow when the step runs, so there is no one template to pin a version of: the latest published version of the chosen one starts.
        {pinned !== undefined && (
          <>
            {' '}
            This step still pins v{pinned}, whichever workflow is chosen.{' '}
            {!disabled && (
              <button type="button" className="fd-link-btn" data-testid={`pin-clear-${testid}`} onClick={onClear}>
                Use the latest
              </button>
            )}
          </>
        )}
      </div>
    )
  if (cleared)
    return (
      <div className="fd-hint warn" id={id} data-testid={`pin-cleared-${testid}`} role="status">
        v{cleared.version} was a version of {cleared.of}, so it is no longer pinned: {name} starts at its latest published version. Pin one of its own versions above if it should not follow new ones.
      </div>
    )
  if (kind === 'unknown') return null // the problem is said instead (under the same id)
  return (
    <div className="fd-help" id={id} data-testid={`pin-hint-${testid}`}>
      {pinned === undefined ? `Starts the newest published version of ${name} each time; pin one to keep it fixed.` : `Always starts v${pinned} of ${name}, also after newer versions are published.`}
    </div>
  )
}
