import { setDialog } from '../state/store'
import { Dialog } from './Dialog'

const mod = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform) ? '⌘' : 'Ctrl'

export const MOUSE: [string, string][] = [
  ['Drag a step from the palette', 'add it where you drop it'],
  ['Drag from a port to a step', 'connect them (a refused connection says why)'],
  ['Click / Shift+click a step', 'select it / add it to the selection'],
  ['Shift + drag on the canvas', 'select with a box'],
  ['Drag the canvas, scroll', 'pan, zoom'],
]

export const SHORTCUTS: [string, string][] = [
  ['Tab, then Enter on a palette step', 'add it in the middle of the view'],
  ['Delete / Backspace', 'delete the selection'],
  [`${mod}+C / ${mod}+V`, 'copy / paste (new ids)'],
  [`${mod}+D`, 'duplicate the selection'],
  [`${mod}+A`, 'select every step'],
  [`${mod}+Z`, 'undo'],
  [`${mod}+Shift+Z / ${mod}+Y`, 'redo'],
  [`${mod}+S`, 'save now'],
  ['Arrow keys', 'nudge the selected steps'],
  ['F', 'fit the graph in view'],
  ['+ / −', 'zoom in / out'],
  ['Shift+L', 'automatic layout'],
  ['P', 'show or hide the parallel plan'],
  ['Esc', 'close the step drawer, clear the selection, leave a comparison'],
  ['?', 'this help'],
]

export function HelpDialog() {
  return (
    <Dialog title="Keyboard and mouse" onClose={() => setDialog(null)} testid="help-dialog" wide>
      <h3 className="fd-help-title">Mouse</h3>
      <table className="fd-shortcuts">
        <tbody>
          {MOUSE.map(([how, what]) => (
            <tr key={how}>
              <th scope="row">{how}</th>
              <td>{what}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3 className="fd-help-title">Keyboard</h3>
      <table className="fd-shortcuts">
        <tbody>
          {SHORTCUTS.map(([keys, what]) => (
            <tr key={keys}>
              <th scope="row">
                <kbd>{keys}</kbd>
              </th>
              <td>{what}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Dialog>
  )
}
