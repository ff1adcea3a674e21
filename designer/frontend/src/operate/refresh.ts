/** The signals and queries sections re-read themselves when the instance moves on (a new event
 * over the socket bumps its `last_seq`) or when this page just sent something. */
import { create } from 'zustand'

export const useOperateRefresh = create<{ tick: number }>(() => ({ tick: 0 }))

export const requestOperateRefresh = () => useOperateRefresh.setState((s) => ({ tick: s.tick + 1 }))
