import { basename } from 'node:path'
import { httpError } from '../../shared/error-codes.ts'
import type { Snapshot } from '../collector/snapshot.ts'
import type { GpuSource } from '../gpu-source.ts'
import { purgeRecommendation } from './purge-recommendation.ts'
import type { PurgeOutcome } from './purge-recommendation.ts'
import type { LoadedModel, PurgeAdapter, PurgeLogger, PurgeResult, PurgeService } from '../../shared/wire/purge-types.ts'
import { summarizeMemory } from './summarize-memory.ts'

export interface PurgeServiceOptions {
  source: Pick<GpuSource, 'readNow' | 'refreshComputeApps'>
  adapters: readonly PurgeAdapter[]
  /** Upper bound on waiting for memory to settle after the unloads. */
  settleMs: number
  /** Pause between settle reads (each read is an nvidia-smi spawn). */
  pollMs?: number
  /**
   * A process left holding less than this is not worth naming in the recommendation: a CUDA
   * context (a slept vLLM, an idle tool) keeps a few hundred MiB that purge can't and needn't free.
   */
  residualMib?: number
  log: PurgeLogger
  now?: () => number
  sleep?: (ms: number) => Promise<void>
}

interface Phase {
  actions: string[]
  unloaded: string[]
  /** What each adapter unloaded, to confirm during the settle wait that it is really gone. */
  unloadedBy: Map<PurgeAdapter, Set<string>>
  left: string[]
  errors: string[]
  outcome: Pick<PurgeOutcome, 'unreachable' | 'busyLeft' | 'failed'>
  listed: number
}

/**
 * `POST /v1/gpu/purge`: read memory, unload what the runtimes hold (runtimes first, then
 * allow-listed processes), wait bounded for memory to settle, read again, and say what to do
 * next. One purge at a time. A runtime that is down or a model left loaded is an entry in
 * `errors`, not a failed purge; only failing to read the GPUs fails it (503).
 */
export function createPurgeService (options: PurgeServiceOptions): PurgeService {
  const pollMs = options.pollMs ?? 500
  const residualMib = options.residualMib ?? 1024
  const now = options.now ?? Date.now
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms)))
  const { source, log } = options
  const runtimes = options.adapters.filter(a => a.kind !== 'process')
  const processes = options.adapters.filter(a => a.kind === 'process')
  let inProgress = false

  async function purge ({ force }: { force: boolean }): Promise<PurgeResult> {
    // Set before the first await, so a second call in the same tick already sees it.
    if (inProgress) throw httpError('PURGE_IN_PROGRESS', 'a GPU purge is already running on this node; wait for it to finish')
    inProgress = true
    try {
      return await run(force)
    } finally {
      inProgress = false
    }
  }

  async function run (force: boolean): Promise<PurgeResult> {
    const before = summarizeMemory(await readGpus('before'))
    const floorMib = await memoryFloorMib(before.usedMib)

    const phase: Phase = { actions: [], unloaded: [], unloadedBy: new Map(), left: [], errors: [], outcome: { unreachable: [], busyLeft: [], failed: [] }, listed: 0 }
    await runPhase(runtimes, force, phase)
    await runPhase(processes, force, phase)

    const settle = await waitForSettle(floorMib, phase)
    const after = summarizeMemory(settle.snapshot)
    const clean = phase.errors.length === 0
    const outcome: PurgeOutcome = {
      ...phase.outcome,
      listed: phase.listed,
      adapters: options.adapters.length,
      residual: clean ? await residualProcess() : null,
      settled: settle.settled,
      settleMs: options.settleMs,
    }
    const result: PurgeResult = {
      status: 'success',
      timestamp: new Date(now()).toISOString(),
      actions: phase.actions,
      memory_before: before.summary,
      memory_after: after.summary,
      // From the rounded figures, so before − after = freed as the operator reads them (seed:
      // 44.0 − 2.1 = 41.9). Never negative: memory something else loaded meanwhile was not "freed".
      memory_freed_gb: Math.max(0, Math.round((before.summary.used_gb - after.summary.used_gb) * 10) / 10),
      models_unloaded: phase.unloaded,
      errors: phase.errors,
      recommendation: purgeRecommendation(outcome),
      force,
      settled: settle.settled,
      models_left_loaded: phase.left,
    }
    const level = result.errors.length > 0 ? 'warn' : 'info'
    log[level]({ force, actions: result.actions, errors: result.errors, freedGb: result.memory_freed_gb, settled: result.settled }, 'gpu purge finished')
    return result
  }

  async function runPhase (adapters: readonly PurgeAdapter[], force: boolean, phase: Phase): Promise<void> {
    // Adapters of one phase are independent runtimes: list and unload them concurrently, so
    // one slow or unreachable runtime costs its own timeout once, not the sum of all of them.
    const listed = await Promise.all(adapters.map(async adapter => {
      try {
        return { adapter, models: await adapter.list() }
      } catch (err) {
        return { adapter, error: err as Error }
      }
    }))
    const tasks: Array<Promise<() => void>> = []
    for (const entry of listed) {
      const { adapter } = entry
      if (entry.models === undefined) {
        const where = adapter.target === undefined ? '' : ` at ${adapter.target}`
        const message = `${adapter.name}${where}: could not list loaded models: ${entry.error?.message ?? 'unknown error'}`
        log.warn({ adapter: adapter.name, target: adapter.target, err: entry.error?.message }, 'purge: runtime unreachable')
        tasks.push(Promise.resolve(() => {
          phase.errors.push(message)
          phase.outcome.unreachable.push({ name: adapter.name, target: adapter.target })
        }))
        continue
      }
      phase.listed += entry.models.length
      for (const model of entry.models) tasks.push(unloadOne(adapter, model, force, phase))
    }
    // Record in listing order, whatever order the unloads finished in.
    for (const record of await Promise.all(tasks)) record()
  }

  async function unloadOne (adapter: PurgeAdapter, model: LoadedModel, force: boolean, phase: Phase): Promise<() => void> {
    const label = `${model.runtime} ${model.name}`
    if (model.busy && !force) {
      const reason = `${label}: ${model.busyReason ?? 'in use'}; left loaded (pass force: true to ${model.forceHint ?? 'abort them'})`
      return () => {
        phase.errors.push(reason)
        phase.left.push(model.name)
        phase.outcome.busyLeft.push(label)
      }
    }
    try {
      const action = await adapter.unload(model, { force })
      return () => {
        phase.actions.push(typeof action === 'string' ? action : `unloaded ${model.name} (${model.runtime})`)
        phase.unloaded.push(model.name)
        const names = phase.unloadedBy.get(adapter) ?? new Set<string>()
        phase.unloadedBy.set(adapter, names.add(model.name))
      }
    } catch (err) {
      const message = (err as Error).message
      log.warn({ runtime: model.runtime, model: model.name, err: message }, 'purge: unload failed')
      return () => {
        phase.errors.push(message)
        phase.left.push(model.name)
        phase.outcome.failed.push({ label, forceHelps: !force && adapter.kind === 'process' })
      }
    }
  }

  /**
   * Read until used memory settles: it reached the floor (no process holds any), or every
   * unloaded model has left its runtime's listing and used memory stopped decreasing between
   * two reads. Runtimes answer an unload before the memory is back (Ollama unloads a model
   * with requests in flight only after they finish), so "stopped decreasing" alone would stop
   * at the first runtime that was done. Bounded by settleMs; `settled` says which ended it.
   */
  async function waitForSettle (floorMib: number | null, phase: Phase): Promise<{ snapshot: Snapshot, settled: boolean }> {
    const deadline = now() + options.settleMs
    const pending = new Map([...phase.unloadedBy].map(([adapter, names]) => [adapter, new Set(names)]))
    let previous: number | null = null
    for (;;) {
      const snapshot = await readGpus('after', phase)
      const used = summarizeMemory(snapshot).usedMib
      // Nothing was unloaded: nothing to wait for.
      if (phase.unloaded.length === 0 || (floorMib !== null && used <= floorMib)) return { snapshot, settled: true }
      await confirmGone(pending)
      if (pending.size === 0 && previous !== null && used >= previous) return { snapshot, settled: true }
      if (now() >= deadline) return { snapshot, settled: false }
      previous = used
      await sleep(Math.max(1, Math.min(pollMs, deadline - now())))
    }
  }

  /** Drop from `pending` the models their runtime no longer lists. A failed listing confirms nothing. */
  async function confirmGone (pending: Map<PurgeAdapter, Set<string>>): Promise<void> {
    await Promise.all([...pending].map(async ([adapter, names]) => {
      let listed: LoadedModel[]
      try {
        listed = await adapter.list()
      } catch {
        return
      }
      const still = new Set(listed.map(m => m.name))
      for (const name of names) if (!still.has(name)) names.delete(name)
      if (names.size === 0) pending.delete(adapter)
    }))
  }

  async function readGpus (when: 'before' | 'after', phase?: Phase): Promise<Snapshot> {
    try {
      return await source.readNow()
    } catch (err) {
      const message = (err as Error).message
      log.error({ err: message, when }, 'purge: nvidia-smi read failed')
      // After the unloads the purge did act: say what it did, so a retry is an informed one.
      const details = phase === undefined ? { cause: message } : { cause: message, actions: phase.actions, errors: phase.errors, models_unloaded: phase.unloaded }
      throw httpError('GPU_READ_FAILED', `could not read GPU memory ${when} the purge: ${message}`, details)
    }
  }

  /**
   * Memory no process owns (driver, reserved): the lowest "used" can go, so reaching it means
   * settled. Null when unknown (a process whose memory nvidia-smi can't see, as in some
   * containers, or a failed read); settling then relies on the runtimes and "stopped decreasing".
   */
  async function memoryFloorMib (usedMib: number): Promise<number | null> {
    try {
      const { apps } = await source.refreshComputeApps()
      if (apps.some(app => app.usedMemoryMib === null)) return null
      return usedMib - apps.reduce((sum, app) => sum + (app.usedMemoryMib ?? 0), 0)
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'purge: compute-apps read failed')
      return null
    }
  }

  async function residualProcess (): Promise<PurgeOutcome['residual']> {
    let apps
    try {
      apps = (await source.refreshComputeApps()).apps
    } catch {
      return null
    }
    const byPid = new Map<number, { pid: number, name: string, mib: number }>()
    for (const app of apps) {
      const entry = byPid.get(app.pid) ?? { pid: app.pid, name: basename(app.processName), mib: 0 }
      entry.mib += app.usedMemoryMib ?? 0
      byPid.set(app.pid, entry)
    }
    const held = [...byPid.values()].filter(p => p.mib >= residualMib).sort((a, b) => b.mib - a.mib)
    const biggest = held[0]
    if (biggest === undefined) return null
    return { ...biggest, totalMib: held.reduce((sum, p) => sum + p.mib, 0), count: held.length }
  }

  return { purge, running: () => inProgress }
}
