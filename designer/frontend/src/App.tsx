import { ReactFlowProvider } from '@xyflow/react'
import { useEffect } from 'react'
import { Canvas } from './canvas/Canvas'
import { Inspector } from './inspector/Inspector'
import { Palette } from './palette/Palette'
import { HistoryPanel } from './run/HistoryPanel'
import { InstanceCanvas } from './run/InstanceCanvas'
import { InstancePanel } from './run/InstancePanel'
import { RunDialog } from './run/RunDialog'
import { TestRunPanel } from './run/TestRunPanel'
import { SchedulesPanel } from './schedules/SchedulesPanel'
import { setRightTab, useEditor, type RightTab } from './state/store'
import { Banners } from './ui/Banners'
import { HelpDialog } from './ui/HelpDialog'
import { handleShortcut } from './ui/shortcuts'
import { Toolbar } from './ui/Toolbar'
import { ProblemsPanel } from './validation/ProblemsPanel'
import { CopyGraphDialog } from './versions/CopyGraphDialog'
import { PublishDialog } from './versions/PublishDialog'
import { VersionsPanel } from './versions/VersionsPanel'

const EDIT_TABS: [RightTab, string][] = [
  ['inspector', 'Inspector'],
  ['versions', 'Versions'],
  ['test', 'Test run'],
  ['schedules', 'Schedules'],
]
const INSTANCE_TABS: [RightTab, string][] = [
  ['run', 'Run'],
  ['history', 'History'],
  ['inspector', 'Step config'],
]

function RightPanel() {
  const mode = useEditor((s) => s.boot.mode)
  const tab = useEditor((s) => s.rightTab)
  const tabs = mode === 'instance' ? INSTANCE_TABS : EDIT_TABS
  return (
    <aside className="fd-right" aria-label="Details">
      <div className="fd-tabs" role="tablist">
        {tabs.map(([t, label]) => (
          <button key={t} type="button" role="tab" aria-selected={tab === t} className={tab === t ? 'on' : ''} onClick={() => setRightTab(t)} data-testid={`tab-${t}`}>
            {label}
          </button>
        ))}
      </div>
      <div className="fd-right-body" role="tabpanel">
        {tab === 'inspector' && <Inspector />}
        {tab === 'versions' && <VersionsPanel />}
        {tab === 'test' && <TestRunPanel />}
        {tab === 'schedules' && <SchedulesPanel />}
        {tab === 'run' && <InstancePanel />}
        {tab === 'history' && <HistoryPanel />}
      </div>
    </aside>
  )
}

function Dialogs() {
  const dialog = useEditor((s) => s.dialog)
  if (dialog === 'publish') return <PublishDialog />
  if (dialog === 'run') return <RunDialog />
  if (dialog === 'help') return <HelpDialog />
  if (dialog === 'copy-graph') return <CopyGraphDialog />
  return null
}

function Loading() {
  const error = useEditor((s) => s.loadError)
  const home = useEditor((s) => s.boot.home)
  const instanceMode = useEditor((s) => s.boot.mode === 'instance')
  return (
    <div className="fd-loading" data-testid={error ? 'load-error' : 'loading'}>
      {error ? (
        <div className="fd-load-error" role="alert">
          <h2>{instanceMode ? 'Cannot open the instance' : 'Cannot open the designer'}</h2>
          <p>{error}</p>
          <a className="fd-btn" href={home}>
            {instanceMode ? 'Back to the instances' : 'Back to the templates'}
          </a>
        </div>
      ) : (
        <>
          <span className="fd-spinner large" aria-hidden="true" />
          <span>Loading the workflow…</span>
        </>
      )}
    </div>
  )
}

export default function App() {
  const loaded = useEditor((s) => s.loaded)
  const mode = useEditor((s) => s.boot.mode)
  const palette = useEditor((s) => s.boot.mode === 'edit' && !s.readOnly)

  useEffect(() => {
    window.addEventListener('keydown', handleShortcut)
    return () => window.removeEventListener('keydown', handleShortcut)
  }, [])

  return (
    <ReactFlowProvider>
      <div className={`fd-app mode-${mode}`}>
        <Toolbar />
        {loaded ? (
          <div className="fd-main">
            {palette && <Palette />}
            <div className="fd-center">
              <Banners />
              {mode === 'instance' ? (
                <InstanceCanvas />
              ) : (
                <div className="fd-stage">
                  <Canvas />
                </div>
              )}
              {mode === 'edit' && <ProblemsPanel />}
            </div>
            <RightPanel />
          </div>
        ) : (
          <Loading />
        )}
        <Dialogs />
      </div>
    </ReactFlowProvider>
  )
}
