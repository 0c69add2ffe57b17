import type { LeaderLease, LeaderStatus } from './leader-lease.ts'
import { createLeaderListeners } from './create-leader-listeners.ts'

/** SQLite: one process owns the file, so it leads from start() to stop(). */
export function createSoleLeader (now: () => number = Date.now): LeaderLease {
  const listeners = createLeaderListeners()
  const status: LeaderStatus = { mode: 'sole', leader: false, since: null, gains: 0, losses: 0, lastError: null }
  return {
    async start () {
      if (status.leader) return
      Object.assign(status, { leader: true, since: now(), gains: status.gains + 1 })
      listeners.emit(true)
    },
    async stop () {
      if (!status.leader) return
      Object.assign(status, { leader: false, since: null, losses: status.losses + 1 })
      listeners.emit(false)
    },
    isLeader: () => status.leader,
    onChange: listeners.add,
    status: () => ({ ...status }),
  }
}
