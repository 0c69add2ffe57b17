import type { Loop } from './loop.ts'
import type { LeaderLease } from './leader-lease.ts'

export interface LeaderGate {
  /** Starts the lease; the loops start whenever it is gained and stop whenever it is lost. */
  start: () => Promise<void>
  /** Stops the loops (if running), then gives the lease up. */
  stop: () => Promise<void>
  /** Resolves once the gains and losses heard so far have started or stopped the loops. */
  settled: () => Promise<void>
}

/**
 * Runs the background loops only while this replica leads. Gains and losses are applied in
 * the order heard, one at a time (a loss during a slow start stops what started); a loop
 * failing to start or stop is logged and the others still move.
 */
export function runWhileLeader (lease: LeaderLease, loops: readonly Loop[], log: { warn: (o: object, m: string) => void }): LeaderGate {
  let chain: Promise<void> = Promise.resolve()
  let running = false
  const each = async (list: readonly Loop[], what: 'start' | 'stop'): Promise<void> => {
    for (const loop of list) {
      try { await loop[what]() } catch (err) { log.warn({ err: String(err) }, `background loop failed to ${what}`) }
    }
  }
  const apply = (leader: boolean): void => {
    chain = chain.then(async () => {
      if (leader === running) return
      running = leader
      if (leader) await each(loops, 'start')
      else await each([...loops].reverse(), 'stop')
    })
  }
  let unsubscribe: (() => void) | null = null
  return {
    async start () {
      unsubscribe ??= lease.onChange(apply)
      await lease.start()
      await chain
    },
    async stop () {
      apply(false)
      await chain
      unsubscribe?.()
      unsubscribe = null
      await lease.stop()
    },
    settled: () => chain,
  }
}
