import '@xyflow/react/dist/style.css'
import './styles.css'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import App from './App'
import { readBoot } from './state/boot'
import { loadEditor, loadInstance } from './state/load'
import { useEditor } from './state/store'
import { onDocChangedValidate, validateNow } from './validation/validator'
import { installLifecycle, onDocChanged } from './versions/persistence'

declare global {
  interface Window {
    /** For the benchmark and browser tests: set when the canvas has drawn the loaded graph. */
    __flowdesk?: { ready: boolean; nodeCount: number; getGraph?: () => unknown }
  }
}

const el = document.getElementById('flowdesk-designer')
if (el) {
  const boot = readBoot(el)
  window.__flowdesk = { ready: false, nodeCount: 0, getGraph: () => useEditor.getState().history.present }
  useEditor.setState({ boot })
  // every change of the document: autosave (edit mode) and validation, both debounced
  useEditor.subscribe((s, prev) => {
    if (s.docVersion !== prev.docVersion) {
      onDocChanged()
      onDocChangedValidate()
    }
  })
  useEditor.subscribe((s, prev) => {
    if (s.loaded && !prev.loaded && s.boot.mode === 'edit') void validateNow(true)
  })
  if (boot.mode === 'instance') void loadInstance(boot)
  else {
    installLifecycle()
    void loadEditor(boot)
  }
  createRoot(el).render(
    <StrictMode>
      <App />
    </StrictMode>,
  )
}
