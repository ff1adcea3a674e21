/** What the Django page tells the app, from the mount element's data attributes. */
export type Mode = 'edit' | 'instance'

export interface Boot {
  mode: Mode
  template: string
  instance: string
  canEdit: boolean
  canRun: boolean
  /** Operators create, change, pause and delete schedules. */
  canSchedule: boolean
  user: string
  /** The template list's URL (the way back). */
  home: string
}

export function readBoot(el: HTMLElement): Boot {
  const d = el.dataset
  return {
    mode: d.mode === 'instance' ? 'instance' : 'edit',
    template: d.template ?? '',
    instance: d.instance ?? '',
    canEdit: d.canEdit === 'true',
    canRun: d.canRun === 'true',
    canSchedule: d.canSchedule === 'true',
    user: d.user ?? '',
    home: d.home || '/designer/',
  }
}
