import { AgentError } from '../errors.ts'
import type { CollectorHealth, CollectorState, GpuSource } from '../gpu-source.ts'
import { backoffDelay } from './backoff-delay.ts'
import { resolveCollectorOptions } from './collector-options.ts'
import type { CollectorOptions } from './collector-options.ts'
import { spawnLoopChild } from './loop-child.ts'
import type { LoopChild, LoopChildExit } from './loop-child.ts'
import { parseGpuLine } from './parse-gpu-line.ts'
import { gpuOrder, probeFields, queryArgs } from './probe-fields.ts'
import type { RunNvidiaSmi } from './probe-fields.ts'
import { queryComputeApps } from './query-compute-apps.ts'
import { queryMig } from './query-mig.ts'
import { readSnapshotOnce } from './read-snapshot-once.ts'
import { runNvidiaSmi } from './run-nvidia-smi.ts'
import type { ComputeAppsReading, MigReading, Snapshot } from './snapshot.ts'
import { createTickAssembler } from './tick-assembler.ts'
import { withMig } from './with-mig.ts'

export type Collector = GpuSource & {
  /** Probe nvidia-smi (throws AgentError when missing or unusable), then start the loop. */
  start: () => Promise<void>
  /** Kill every child (SIGTERM, then SIGKILL) and clear every timer. */
  stop: () => Promise<void>
}

// One unparsable line per this period reaches warn; the rest go to debug (garbage can repeat
// every tick).
const BAD_LINE_LOG_MS = 30_000

/**
 * The agent's view of the GPUs: ONE long-lived `nvidia-smi --query-gpu … -lms N` child whose
 * rows are assembled into one snapshot per tick, a watchdog that replaces a silent child
 * with backoff, compute processes on a slower cadence, and one-shot reads on demand.
 */
export function createCollector (options: CollectorOptions): Collector {
  const o = resolveCollectorOptions(options)
  const { log, timers } = o
  const listeners = new Set<(snapshot: Snapshot) => void>()
  const oneShots = new Set<Promise<unknown>>()
  let abort = new AbortController()

  let state: CollectorState = 'stopped'
  let fields: string[] = []
  let order: number[] = []
  let latest: Snapshot | null = null
  // The loop child's own newest tick: the watchdog judges the child by it, not by readNow()'s.
  let loopSnapshotAt: number | null = null
  let apps: ComputeAppsReading | null = null
  let appsInFlight: Promise<ComputeAppsReading> | null = null
  let mig: MigReading | null = null
  let restarts = 0
  let parseErrors = 0
  let lastError: string | null = null

  let child: LoopChild | null = null
  let killing = false
  let childStartedAt = 0
  let childSnapshots = 0
  let rowsSinceSnapshot = 0
  let failures = 0
  let assembler = createTickAssembler([])
  let watchdogTimer: unknown = null
  let respawnTimer: unknown = null
  let appsTimer: unknown = null
  let badLineLoggedAt = -Infinity
  let badLinesUnlogged = 0

  const run: RunNvidiaSmi = args => {
    const p = runNvidiaSmi(o.nvidiaSmiPath, args, {
      env: o.env, timeoutMs: o.oneShotTimeoutMs, killGraceMs: o.killGraceMs, signal: abort.signal,
    })
    oneShots.add(p)
    p.then(() => oneShots.delete(p), () => oneShots.delete(p))
    return p
  }

  function noteBadLine (line: string, reason: string): void {
    parseErrors++
    badLinesUnlogged++
    const at = o.now()
    const entry = { line: line.slice(0, 300), reason }
    if (at - badLineLoggedAt < BAD_LINE_LOG_MS) return log.debug(entry, 'nvidia-smi line did not parse; skipped')
    log.warn({ ...entry, skippedSinceLastWarning: badLinesUnlogged, parseErrors }, 'nvidia-smi line did not parse; skipped')
    badLineLoggedAt = at
    badLinesUnlogged = 0
  }

  function onLine (line: string): void {
    if (line.trim() === '') return
    const r = parseGpuLine(fields, line)
    if (!r.ok) return noteBadLine(line, r.reason)
    rowsSinceSnapshot++
    const gpus = assembler.push(r.gpu)
    if (!gpus) return
    const snapshot: Snapshot = { recordedAt: o.now(), gpus: withMig(gpus, mig) }
    latest = snapshot
    loopSnapshotAt = snapshot.recordedAt
    childSnapshots++
    rowsSinceSnapshot = 0
    // A child counts as healthy again once it has outlived the longest backoff: one that
    // prints a tick and then wedges keeps its growing delay.
    if (failures > 0 && snapshot.recordedAt - childStartedAt >= o.backoff.maxMs) {
      failures = 0
      log.info({ pid: child?.pid }, 'nvidia-smi loop healthy again; backoff reset')
    }
    for (const listener of listeners) {
      try {
        listener(snapshot)
      } catch (err) {
        log.error({ err }, 'snapshot listener threw')
      }
    }
  }

  function spawnChild (): void {
    const args = [...queryArgs(fields), '-lms', String(o.intervalMs)]
    const c: LoopChild = spawnLoopChild(o.nvidiaSmiPath, args, {
      env: o.env,
      killGraceMs: o.killGraceMs,
      onLine: line => { if (child === c) onLine(line) },
    })
    child = c
    killing = false
    childStartedAt = o.now()
    childSnapshots = 0
    rowsSinceSnapshot = 0
    assembler = createTickAssembler(order)
    state = 'running'
    void c.exited.then(exit => onChildExit(c, exit))
    log.info({ pid: c.pid, intervalMs: o.intervalMs, fields: fields.length }, 'nvidia-smi loop started')
  }

  function onChildExit (c: LoopChild, exit: LoopChildExit): void {
    if (child !== c) return
    child = null
    if (state === 'stopped') return
    if (!killing) {
      const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.exitCode}`
      lastError = exit.spawnError?.message ?? `nvidia-smi loop exited (${how})${exit.stderr ? `: ${exit.stderr}` : ''}`
      log.warn({ pid: c.pid, exitCode: exit.exitCode, signal: exit.signal, stderr: exit.stderr }, 'nvidia-smi loop exited')
    }
    killing = false
    failures++
    const delayMs = backoffDelay(failures, o.backoff)
    // Rows that never made a tick: the set of GPUs may have changed (one fell off the bus).
    const reprobe = rowsSinceSnapshot > 0
    state = 'restarting'
    log.info({ delayMs, failures }, 'restarting nvidia-smi loop after backoff')
    respawnTimer = timers.setTimeout(() => {
      respawnTimer = null
      void respawn(reprobe)
    }, delayMs)
  }

  async function respawn (reprobe: boolean): Promise<void> {
    if (reprobe) await refreshOrder()
    if (state === 'stopped') return
    restarts++
    spawnChild()
  }

  async function refreshOrder (): Promise<void> {
    try {
      const result = await run(queryArgs(fields))
      const next = gpuOrder(fields, result.stdout)
      if (next.length > 0 && next.join() !== order.join()) {
        log.warn({ before: order, after: next }, 'the GPUs nvidia-smi reports changed')
        order = next
      }
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'could not re-read the GPU list; keeping the old one')
    }
  }

  function checkWatchdog (): void {
    if (!child || killing || state !== 'running') return
    const now = o.now()
    const since = childSnapshots > 0 && loopSnapshotAt !== null ? loopSnapshotAt : childStartedAt
    const limit = childSnapshots > 0 ? 3 * o.intervalMs : Math.max(3 * o.intervalMs, o.firstSnapshotTimeoutMs)
    if (now - since <= limit) return
    lastError = `no complete snapshot from nvidia-smi (pid ${child.pid}) for ${now - since} ms; restarting it`
    log.warn({ pid: child.pid, silentMs: now - since }, 'nvidia-smi loop silent; killing it')
    killing = true
    child.kill()
  }

  function scheduleWatchdog (): void {
    watchdogTimer = timers.setTimeout(() => {
      watchdogTimer = null
      checkWatchdog()
      if (state !== 'stopped') scheduleWatchdog()
    }, Math.max(50, o.intervalMs))
  }

  function scheduleComputeApps (delayMs: number): void {
    appsTimer = timers.setTimeout(() => {
      appsTimer = null
      refreshComputeApps()
        .catch(err => { if (state !== 'stopped') log.warn({ err: (err as Error).message }, 'compute apps query failed') })
        .then(refreshMig)
        .finally(() => { if (state !== 'stopped') scheduleComputeApps(o.computeAppsIntervalMs) })
    }, delayMs)
  }

  function refreshComputeApps (): Promise<ComputeAppsReading> {
    if (appsInFlight) return appsInFlight
    const p = queryComputeApps(run, o.now).then(({ reading, badLines }) => {
      parseErrors += badLines
      apps = reading
      return reading
    })
    appsInFlight = p
    p.then(() => { appsInFlight = null }, () => { appsInFlight = null })
    return p
  }

  /** MIG devices, on the compute-apps cadence, only while a GPU of the newest tick has MIG enabled. */
  async function refreshMig (): Promise<void> {
    if (state === 'stopped' || !(latest?.gpus.some(g => g.migMode === 'Enabled') ?? false)) {
      mig = null
      return
    }
    try {
      mig = await queryMig(run, o.now)
    } catch (err) {
      // Stale instance data would be worse than none: the GPUs show null (unknown) instances.
      mig = null
      if ((state as CollectorState) !== 'stopped') log.warn({ err: (err as Error).message }, 'MIG device query failed')
    }
  }

  async function readNow (): Promise<Snapshot> {
    if (fields.length === 0) throw new AgentError('NVIDIA_SMI_FAILED', 'the collector has not probed nvidia-smi yet (start() first)')
    const { snapshot: read, badLines } = await readSnapshotOnce(run, fields, order, o.now)
    const snapshot: Snapshot = { ...read, gpus: withMig(read.gpus, mig) }
    parseErrors += badLines
    // A fresher read than the loop's newest tick serves the local API at once: after a purge,
    // GET /v1/gpu/memory must not show the memory the purge just reported freed. Listeners
    // (uplink, metrics) are not told: they keep the loop's 1 Hz cadence.
    if (latest === null || snapshot.recordedAt > latest.recordedAt) latest = snapshot
    return snapshot
  }

  function clearTimers (): void {
    for (const t of [watchdogTimer, respawnTimer, appsTimer]) if (t !== null) timers.clearTimeout(t)
    watchdogTimer = respawnTimer = appsTimer = null
  }

  return {
    async start () {
      if (state !== 'stopped') return
      state = 'starting'
      abort = new AbortController()
      try {
        const probe = await probeFields(run, o.nvidiaSmiPath, log)
        fields = probe.fields
        order = probe.order
      } catch (err) {
        state = 'stopped'
        lastError = (err as Error).message
        throw err
      }
      if (state !== 'starting') return // stop() came first
      spawnChild()
      scheduleWatchdog()
      scheduleComputeApps(0)
    },

    async stop () {
      state = 'stopped'
      clearTimers()
      abort.abort()
      const c = child
      if (c) {
        killing = true
        c.kill()
        await c.exited
        if (child === c) child = null
      }
      await Promise.allSettled([...oneShots])
    },

    latest: () => latest,
    onSnapshot (listener) {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    },
    computeApps: () => apps,
    migReading: () => mig,
    refreshComputeApps,
    readNow,
    health: (): CollectorHealth => ({
      state,
      restarts,
      parseErrors,
      lastSnapshotAt: latest?.recordedAt ?? null,
      childPid: child?.pid ?? null,
      fields: [...fields],
      lastError,
    }),
  }
}
