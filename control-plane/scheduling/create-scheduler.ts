import type { Registry } from 'prom-client'
import { realTimers, type Timers } from '../../shared/timers.ts'
import type { CyclePlan, SchedulerCycle, SchedulerSnapshot } from '../store/job-repository.ts'
import type { Store } from '../store/store.ts'
import type { IdleReading } from '../fleet/create-fleet-service.ts'
import { createSchedulerMetrics } from './create-scheduler-metrics.ts'
import { checkAging, DEFAULT_AGING, type AgingPolicy } from './effective-priority.ts'
import { planCycle } from './plan-cycle.ts'
import { waitingForGpus, wantsGpu, type WaitingForGpus } from './waiting-for-gpus.ts'
import type { Logger } from '../../shared/logger.ts'

export type SchedulerLogger = Pick<Logger, 'info' | 'warn'>

export interface SchedulerOptions {
  store: Store
  now: () => number
  log?: SchedulerLogger | undefined
  timers?: Timers | undefined
  /** The periodic cycle (seed 003: every 30 s), aligned to wall-clock slots. */
  everyMs?: number | undefined
  /** A poke runs a cycle this long after the first poke; pokes meanwhile join it. */
  debounceMs?: number | undefined
  /** A GPU whose newest reading is older than this is not assigned. */
  staleAfterMs?: number | undefined
  /** Priority aging (effective-priority.ts); default one step per 30 min, up to 9 steps. */
  aging?: AgingPolicy | undefined
  /** Registers the scheduler's Prometheus metrics here when given. */
  registry?: Registry | undefined
  /** Awaited after every cycle that committed, before the next may start (tests check invariants here). */
  onCycle?: ((cycle: SchedulerCycle) => void | Promise<void>) | undefined
  /** Told, once committed, of the nodes where this scheduler started or timed out jobs (agents' assignment polls wake). */
  onJobsChanged?: ((nodeIds: readonly number[]) => void) | undefined
}

/** What the routers need: a way to ask for a cycle soon. */
export interface SchedulerPoke {
  /** e.g. 'submit', 'job_ended', 'released', 'tenant_updated'. Ignored while stopped. */
  poke: (reason: string) => void
}

export interface Scheduler extends SchedulerPoke {
  /**
   * Telemetry: these GPUs of `clusterId` now read idle. Pokes ('gpu_idle') when one of them
   * just became free (it read busy, unknown or nothing fresh before, and no running job holds
   * it) and the last cycle left a job waiting that could take it.
   */
  gpusIdle: (clusterId: number, gpus: readonly IdleReading[]) => Promise<void>
  start: () => void
  /** Cancels pending timers and waits for a running cycle. */
  stop: () => Promise<void>
  /** One cycle now (after any running one; cycles never overlap). */
  runCycle: (trigger?: string) => Promise<SchedulerCycle>
}

/**
 * The scheduler loop: a cycle every `everyMs` (slots aligned to the clock; a slow cycle skips
 * the slots it overran rather than running back to back) and, `debounceMs` after a poke (a
 * submit, a job ending, a hold lifted, a quota raised), an extra one, so an idle fleet starts
 * a job at once. The delay runs from the first poke and is not pushed back by later ones, so
 * a steady stream of submits still gets a cycle every `debounceMs`. Cycles are serialized;
 * a poke during a cycle gets a cycle after it. Runs on one replica only (the leader).
 *
 * Events, not polls, also for what telemetry and time change: a reading that frees a GPU a
 * waiting job wants pokes (gpusIdle), and the next running job's time limit is a timer that
 * pokes when it falls. A cycle first ends the jobs past their time limit (TIMEOUT); it asks the
 * store only when a limit may have passed (the limits of the jobs it starts are in its snapshot).
 */
export function createScheduler (opts: SchedulerOptions): Scheduler {
  const { store, now, log, timers = realTimers, everyMs = 30_000, debounceMs = 200, staleAfterMs = 60_000, onCycle, onJobsChanged } = opts
  for (const [name, v] of [['everyMs', everyMs], ['debounceMs', debounceMs], ['staleAfterMs', staleAfterMs]] as const) {
    if (!Number.isFinite(v) || v < 0 || (name === 'everyMs' && v === 0)) throw new TypeError(`createScheduler: ${name} must be a positive number of ms, got ${v}`)
  }
  const policy = { aging: checkAging(opts.aging ?? DEFAULT_AGING) }
  const metrics = opts.registry === undefined ? null : createSchedulerMetrics(opts.registry)

  let running = false
  let tickHandle: unknown = null
  let pokeHandle: unknown = null
  let limitHandle: { at: number, handle: unknown } | null = null
  const pokeReasons = new Set<string>()
  let last: Promise<unknown> = Promise.resolve()
  // As of the last planned cycle: every change to the queue pokes, so it is at most a cycle old.
  let waiting: WaitingForGpus = new Map()
  // When the nearest running job's time limit falls (null: none has one; undefined: not read
  // since start). Never later than the truth (a job ended early only makes it early), so the
  // store is asked only when a limit may have passed, not every cycle.
  let nextLimitAt: number | null | undefined

  // Nodes whose jobs the cycle in progress starts (a start skipped by its compare-and-set only wakes a poll for nothing).
  let startedOn: number[] = []
  const plan = (snapshot: SchedulerSnapshot): CyclePlan => {
    const p = planCycle(snapshot, policy)
    waiting = waitingForGpus(snapshot, p)
    startedOn = p.starts.map(st => st.nodeId)
    if (p.starts.length > 0 && nextLimitAt !== undefined) {
      const started = new Set(p.starts.map(st => st.jobId))
      for (const j of snapshot.jobs) {
        if (j.timeLimitMin == null || !started.has(j.id)) continue
        const limitAt = snapshot.at + j.timeLimitMin * 60_000
        if (nextLimitAt === null || limitAt < nextLimitAt) nextLimitAt = limitAt
      }
    }
    return p
  }

  const runCycle = (trigger = 'manual'): Promise<SchedulerCycle> => {
    const cycle = last.catch(() => {}).then(async () => {
      const at = now()
      if (nextLimitAt === undefined || (nextLimitAt !== null && nextLimitAt <= at)) {
        const limits = await store.jobs.endTimedOut(at)
        for (const j of limits.ended) log?.info({ jobId: j.id, timeLimitMin: j.timeLimitMin, ranMs: at - (j.startedAt ?? at) }, 'job ended: time limit (TIMEOUT)')
        nextLimitAt = limits.nextAt
        const timedOutOn = limits.ended.flatMap(j => (j.nodeId === null ? [] : [j.nodeId]))
        if (timedOutOn.length > 0) onJobsChanged?.(timedOutOn)
      }
      startedOn = []
      // The cycle's own time is read under the scheduling lock (JobRepository.runCycle).
      const c = await store.jobs.runCycle(() => Math.max(at, now()), trigger, { freshSince: at - staleAfterMs }, plan)
      if (startedOn.length > 0) onJobsChanged?.(startedOn)
      metrics?.observe(c)
      if (c.started > 0) log?.info({ cycleId: c.id, trigger, started: c.started, processed: c.processed, ms: c.durationMs }, 'scheduler started jobs')
      armLimit(nextLimitAt ?? null)
      await onCycle?.(c)
      return c
    })
    last = cycle
    return cycle
  }

  const runQuietly = (trigger: string): Promise<unknown> => runCycle(trigger).catch((err: unknown) => {
    // Rolled back whole; the next poke or slot tries again.
    metrics?.failed()
    log?.warn({ trigger, err: String(err) }, 'scheduler cycle failed')
  })

  const scheduleTick = (): void => {
    const t = now()
    tickHandle = timers.setTimeout(tick, everyMs - (((t % everyMs) + everyMs) % everyMs))
  }
  const tick = (): void => {
    tickHandle = null
    if (!running) return
    void runQuietly('interval').finally(() => { if (running && tickHandle === null) scheduleTick() })
  }
  const firePoke = (): void => {
    pokeHandle = null
    if (!running) return
    const reasons = [...pokeReasons].sort().join(',')
    pokeReasons.clear()
    void runQuietly(`poke:${reasons}`)
  }

  const poke = (reason: string): void => {
    if (!running) return
    pokeReasons.add(reason)
    if (pokeHandle === null) pokeHandle = timers.setTimeout(firePoke, debounceMs)
  }

  // One timer, for the nearest time limit, armed only once it falls before the next slot (a
  // year-long limit would overflow setTimeout); a later slot arms it when it comes near.
  const armLimit = (at: number | null): void => {
    if (!running || at === null || at - now() > everyMs || (limitHandle !== null && limitHandle.at <= at)) return
    if (limitHandle !== null) timers.clearTimeout(limitHandle.handle)
    const handle = timers.setTimeout(() => {
      limitHandle = null
      poke('time_limit')
    }, Math.max(0, at - now()))
    limitHandle = { at, handle }
  }

  const gpusIdle = async (clusterId: number, gpus: readonly IdleReading[]): Promise<void> => {
    if (!running || pokeHandle !== null) return
    const freshSince = now() - staleAfterMs
    const freed = gpus.filter(g => (g.before.status !== 'idle' || g.before.at === null || g.before.at < freshSince) && wantsGpu(waiting, clusterId, g.model))
    if (freed.length === 0) return
    // A running job's GPU reading idle (loading data, between steps) frees nothing.
    const held = new Set(await store.jobs.heldGpuIds(freed.map(g => g.gpuId)))
    if (freed.some(g => !held.has(g.gpuId))) poke('gpu_idle')
  }

  return {
    start () {
      if (running) return
      running = true
      // Another replica may have started jobs while this one did not lead: read the limits afresh.
      nextLimitAt = undefined
      scheduleTick()
      // Whatever waited across a restart is looked at now, not at the next slot.
      poke('start')
    },
    async stop () {
      running = false
      if (tickHandle !== null) timers.clearTimeout(tickHandle)
      if (pokeHandle !== null) timers.clearTimeout(pokeHandle)
      if (limitHandle !== null) timers.clearTimeout(limitHandle.handle)
      tickHandle = null
      pokeHandle = null
      limitHandle = null
      pokeReasons.clear()
      await last.catch(() => {})
    },
    poke,
    gpusIdle,
    runCycle,
  }
}
