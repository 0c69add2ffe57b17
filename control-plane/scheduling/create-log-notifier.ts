import type { Timers } from '../../shared/timers.ts'

export interface LogNotifier {
  /** Wakes every follower of the job (an upload stored new bytes). */
  notify: (jobId: number) => void
  /** Resolves on the job's next notify, after `ms`, or when `signal` aborts, whichever is first; leaves no timer behind. */
  wait: (jobId: number, ms: number, signal?: AbortSignal) => Promise<void>
}

/**
 * In-process wake-ups for log followers. Another replica's uploads never reach it, so
 * followers also re-read on a timer (the `ms` of wait).
 */
export function createLogNotifier (timers: Timers): LogNotifier {
  const waiting = new Map<number, Set<() => void>>()
  return {
    notify (jobId) {
      for (const wake of [...waiting.get(jobId) ?? []]) wake()
    },
    wait (jobId, ms, signal) {
      return new Promise(resolve => {
        if (signal?.aborted === true) return resolve()
        let set = waiting.get(jobId)
        if (set === undefined) waiting.set(jobId, set = new Set())
        const wake = () => {
          timers.clearTimeout(handle)
          set.delete(wake)
          if (set.size === 0 && waiting.get(jobId) === set) waiting.delete(jobId)
          signal?.removeEventListener('abort', wake)
          resolve()
        }
        const handle = timers.setTimeout(wake, ms)
        set.add(wake)
        signal?.addEventListener('abort', wake, { once: true })
      })
    },
  }
}
