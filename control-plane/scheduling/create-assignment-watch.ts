import { realTimers, type Timers } from '../../shared/timers.ts'

/**
 * Wakes agents' assignment long polls (create-agent-jobs-router.ts) when a job on their node
 * starts, ends or is cancelled in this process. In-process only: a waiting poll also looks
 * again on its own every second or so, for what another replica's scheduler changed.
 */
export interface AssignmentWatch {
  /** Jobs on these nodes started or ended: the polls waiting on them look again now. */
  notify: (nodeIds: Iterable<number | null>) => void
  /**
   * Resolves after `ms`, on a notify for `nodeId`, or once any of `signals` aborts (the client
   * went away, the server is stopping), whichever is first; never rejects. Leaves no timer or
   * listener behind.
   */
  next: (nodeId: number, ms: number, ...signals: Array<AbortSignal | undefined>) => Promise<void>
  /** Polls waiting now. */
  waiting: () => number
}

export function createAssignmentWatch (opts: { timers?: Timers | undefined } = {}): AssignmentWatch {
  const timers = opts.timers ?? realTimers
  const waiters = new Map<number, Set<() => void>>()
  let count = 0

  return {
    notify (nodeIds) {
      for (const id of new Set(nodeIds)) {
        if (id === null) continue
        for (const wake of [...waiters.get(id) ?? []]) wake()
      }
    },

    next (nodeId, ms, ...signals) {
      return new Promise<void>(resolve => {
        const live = signals.filter((s): s is AbortSignal => s !== undefined)
        if (live.some(s => s.aborted)) { resolve(); return }
        let set = waiters.get(nodeId)
        if (set === undefined) waiters.set(nodeId, set = new Set())
        const mine = set
        const wake = (): void => {
          if (!mine.delete(wake)) return
          count--
          if (mine.size === 0 && waiters.get(nodeId) === mine) waiters.delete(nodeId)
          timers.clearTimeout(handle)
          for (const s of live) s.removeEventListener('abort', wake)
          resolve()
        }
        mine.add(wake)
        count++
        const handle = timers.setTimeout(wake, Math.max(0, ms))
        for (const s of live) s.addEventListener('abort', wake, { once: true })
      })
    },

    waiting: () => count,
  }
}
