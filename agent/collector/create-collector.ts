import { AgentError } from '../errors.ts'
import type { CollectorHealth, CollectorState, GpuSource } from '../gpu-source.ts'
import { backoffDelay } from '../../shared/backoff-delay.ts'
import { resolveCollectorOptions } from './collector-options.ts'
import type { CollectorOptions } from './collector-options.ts'
import { createGpuRoster } from './gpu-roster.ts'
import type { GpuRoster } from './gpu-roster.ts'
import { spawnLoopChild } from './loop-child.ts'
import type { LoopChild, LoopChildExit } from './loop-child.ts'
import { parseGpuLine } from './parse-gpu-line.ts'
import { parseSmiMessage } from './parse-smi-message.ts'
import { parseGpuRows, probeFields, queryArgs } from './probe-fields.ts'
import type { RunNvidiaSmi } from './probe-fields.ts'
import { queryComputeApps } from './query-compute-apps.ts'
import { queryMig } from './query-mig.ts'
import { readSnapshotOnce } from './read-snapshot-once.ts'
import { runNvidiaSmi } from './run-nvidia-smi.ts'
import type { ComputeAppsReading, MigReading, Snapshot } from './snapshot.ts'
import { createTickAssembler } from './tick-assembler.ts'
import { withMig } from './with-mig.ts'
import type { Tick } from './tick-assembler.ts'

export type Collector = GpuSource & {
  /** Probe nvidia-smi (throws AgentError when missing or unusable), then start the loop. */
  start: () => Promise<void>
  /** Kill every child (SIGTERM, then SIGKILL) and clear every timer. */
  stop: () => Promise<void>
}

// One unparsable line per this period reaches warn; the rest go to debug (garbage can repeat
// every tick).
const BAD_LINE_LOG_MS = 30_000
const NO_ROW = 'no row from nvidia-smi in the last tick'
// nvidia-smi's documented exit code 15: "GPU has fallen off the bus or otherwise become inaccessible".
const EXIT_GPU_LOST = 15

/**
 * The agent's view of the GPUs: ONE long-lived `nvidia-smi --query-gpu … -lms N` child whose
 * rows are assembled into one snapshot per tick, a watchdog that replaces a silent child,
 * compute processes on a slower cadence, and one-shot reads on demand.
 *
 * Faults it rides out: a child that exits (respawned after a backoff that a healthy tick
 * resets), one that goes silent (replaced by the watchdog at once, on a monotonic clock),
 * one SIGKILL cannot end (abandoned, never awaited), a bad value (that field of that GPU is
 * null with a fault), a GPU that falls off the bus (listed missing, the others keep
 * reporting, and a loop restart picks it up once a one-shot query sees it again).
 */
export function createCollector (options: CollectorOptions): Collector {
  const o = resolveCollectorOptions(options)
  const { log, timers } = o
  const childEnv = { ...o.baseEnv, ...o.env }
  const listeners = new Set<(snapshot: Snapshot) => void>()
  const oneShots = new Set<Promise<unknown>>()
  // Loop children replaced while still alive, until they are gone (or abandoned).
  const retiring = new Set<Promise<unknown>>()
  let abort = new AbortController()

  let state: CollectorState = 'stopped'
  let fields: string[] = []
  let roster: GpuRoster = createGpuRoster([], o.now)
  let latest: Snapshot | null = null
  let apps: ComputeAppsReading | null = null
  let appsInFlight: Promise<ComputeAppsReading> | null = null
  let mig: MigReading | null = null
  let restarts = 0
  let parseErrors = 0
  let abandoned = 0
  let lastError: string | null = null
  // How long the start-up probe query took (monotonic ms): a host this slow to open NVML
  // gets twice that for a fresh loop child's first tick.
  let probeMs = 0

  let child: LoopChild | null = null
  let childStartedAt = 0
  let childSnapshots = 0
  let childTickAt = 0
  let childMessage = ''
  // GPUs the current loop child said it cannot open: its ticks complete without them.
  let childLost = new Set<number>()
  let failures = 0
  let assembler = createTickAssembler([])
  let watchdogTimer: unknown = null
  let respawnTimer: unknown = null
  let appsTimer: unknown = null
  let recheckTimer: unknown = null
  let badLineLoggedAt = -Infinity
  let badLinesUnlogged = 0

  const run: RunNvidiaSmi = async args => {
    const p = runNvidiaSmi(o.nvidiaSmiPath, args, {
      env: childEnv,
      timeoutMs: o.oneShotTimeoutMs,
      killGraceMs: o.killGraceMs,
      abandonAfterMs: o.abandonAfterMs,
      signal: abort.signal,
      timers,
      signalChild: o.signalChild,
    })
    oneShots.add(p)
    p.then(() => oneShots.delete(p), () => oneShots.delete(p))
    const result = await p
    if (result.abandoned) noteAbandoned(result.pid ?? null, args[0] ?? '')
    return result
  }

  function noteAbandoned (pid: number | null, what: string): void {
    abandoned++
    lastError = `nvidia-smi (pid ${pid ?? '?'}) outlived SIGKILL and was abandoned: stuck in the driver?`
    log.error({ pid, what, abandoned }, 'nvidia-smi child outlived SIGKILL (uninterruptible sleep in the driver?); abandoned, not awaited')
  }

  function noteBadLine (line: string, reason: string): void {
    parseErrors++
    badLinesUnlogged++
    const at = o.monotonicNow()
    const entry = { line: line.slice(0, 300), reason }
    if (at - badLineLoggedAt < BAD_LINE_LOG_MS) return log.debug(entry, 'nvidia-smi line did not parse; skipped')
    log.warn({ ...entry, skippedSinceLastWarning: badLinesUnlogged, parseErrors }, 'nvidia-smi line did not parse; skipped')
    badLineLoggedAt = at
    badLinesUnlogged = 0
  }

  function markMissing (index: number | null, pciBusId: string | null, reason: string): void {
    if (!roster.markMissing({ index, pciBusId }, reason)) return
    // The event: one warn line per GPU that goes missing (and one info line when it is back).
    log.warn({ event: 'gpu_missing', ...roster.describe(index), ...(index === null ? { pciBusId } : {}), reason }, 'GPU missing from nvidia-smi')
    scheduleRecheck()
  }

  function markPresent (indices: readonly number[]): void {
    for (const index of indices) {
      if (roster.markPresent(index)) log.info({ event: 'gpu_back', ...roster.describe(index) }, 'GPU reporting again')
    }
  }

  const expectedOrder = (): number[] => roster.order().filter(i => !childLost.has(i))

  function onMessageLine (line: string): boolean {
    const message = parseSmiMessage(line)
    if (message === null) return false
    if (message.kind === 'driver-failure') {
      childMessage = message.message
      return true
    }
    childMessage = line.trim().slice(0, 300)
    const index = roster.indexOfBus(message.pciBusId)
    markMissing(index, message.pciBusId, `nvidia-smi: Unable to determine the device handle for GPU ${message.pciBusId}: ${message.reason}`)
    if (index !== null && !childLost.has(index)) {
      childLost.add(index)
      const tick = assembler.setOrder(expectedOrder())
      if (tick) emit(tick)
    }
    return true
  }

  function onLine (line: string): void {
    if (line.trim() === '' || onMessageLine(line)) return
    const r = parseGpuLine(fields, line)
    if (!r.ok) {
      // nvidia-smi prints its failures on stdout: the last line that is no row explains an exit.
      childMessage = line.trim().slice(0, 300)
      return noteBadLine(line, r.reason)
    }
    if (!assembler.expects(r.gpu.index)) {
      // A GPU this child did not list before (back on the bus, or new): ticks include it from now on.
      roster.see([r.gpu])
      childLost.delete(r.gpu.index)
      assembler.setOrder(expectedOrder())
    }
    const tick = assembler.push(r.gpu)
    if (tick) emit(tick)
  }

  function emit (tick: Tick): void {
    roster.see(tick.gpus)
    markPresent(tick.gpus.map(g => g.index))
    for (const index of tick.absent) markMissing(index, null, NO_ROW)
    // One stamp per tick, strictly increasing: two ticks in one millisecond (a short tick
    // closed by the next one's first row) must not become two samples at one recorded_at.
    const recordedAt = Math.max(o.now(), (latest?.recordedAt ?? -Infinity) + 1)
    const snapshot: Snapshot = { recordedAt, gpus: withMig(tick.gpus, mig), monotonicAt: o.monotonicNow(), missing: roster.missing() }
    latest = snapshot
    childTickAt = snapshot.monotonicAt as number
    childSnapshots++
    // One healthy tick is enough: the next fault starts its backoff from the first step again.
    if (failures > 0) {
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
      env: childEnv,
      killGraceMs: o.killGraceMs,
      abandonAfterMs: o.abandonAfterMs,
      timers,
      signalChild: o.signalChild,
      onLine: line => { if (child === c) onLine(line) },
      onErrorLine: line => { if (child === c) onMessageLine(line) },
    })
    child = c
    childStartedAt = o.monotonicNow()
    childSnapshots = 0
    childMessage = ''
    childLost = new Set()
    assembler = createTickAssembler(expectedOrder())
    state = 'running'
    void c.exited.then(exit => {
      if (exit.abandoned) noteAbandoned(c.pid, 'loop')
      if (child === c) onChildExit(exit)
    })
    log.info({ pid: c.pid, intervalMs: o.intervalMs, fields: fields.length }, 'nvidia-smi loop started')
  }

  /** Stop listening to the current child and kill it without waiting for it to go. */
  function retireChild (): void {
    const c = child
    child = null
    if (!c) return
    c.kill()
    const gone = c.exited.then(() => { retiring.delete(gone) })
    retiring.add(gone)
  }

  function onChildExit (exit: LoopChildExit): void {
    child = null
    if (state === 'stopped') return
    const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.exitCode}${exit.exitCode === EXIT_GPU_LOST ? ', a GPU fell off the bus' : ''}`
    const said = exit.stderr || childMessage
    lastError = exit.spawnError?.message ?? `nvidia-smi loop exited (${how})${said ? `: ${said}` : ''}`
    log.warn({ pid: null, exitCode: exit.exitCode, signal: exit.signal, output: said }, 'nvidia-smi loop exited')
    failures++
    scheduleRespawn(backoffDelay(failures, o.backoff))
  }

  function scheduleRespawn (delayMs: number): void {
    state = 'restarting'
    log.info({ delayMs, failures }, 'restarting nvidia-smi loop')
    if (respawnTimer !== null) timers.clearTimeout(respawnTimer)
    respawnTimer = timers.setTimeout(() => {
      respawnTimer = null
      if (state === 'stopped' || child !== null) return
      restarts++
      spawnChild()
    }, delayMs)
  }

  function checkWatchdog (): void {
    if (!child || state !== 'running') return
    const now = o.monotonicNow()
    const since = childSnapshots > 0 ? childTickAt : childStartedAt
    const limit = childSnapshots > 0 ? 3 * o.intervalMs : Math.max(3 * o.intervalMs, o.firstSnapshotTimeoutMs, 2 * probeMs)
    if (now - since <= limit) return
    const silentMs = Math.round(now - since)
    lastError = `no complete snapshot from nvidia-smi (pid ${child.pid}) for ${silentMs} ms; restarting it`
    log.warn({ pid: child.pid, silentMs }, 'nvidia-smi loop silent; killing it')
    retireChild()
    failures++
    // The silence itself was the wait: a new child starts now, while the old one is killed
    // (or abandoned, should it be stuck in the driver) on the side.
    scheduleRespawn(0)
  }

  function scheduleWatchdog (): void {
    watchdogTimer = timers.setTimeout(() => {
      watchdogTimer = null
      checkWatchdog()
      if (state !== 'stopped') scheduleWatchdog()
    }, Math.max(50, o.intervalMs))
  }

  /**
   * A loop child enumerates the GPUs once, at its start: one that comes back on the bus only
   * shows up in a new child. While a GPU the loop cannot open is missing, a one-shot query
   * checks now and then whether nvidia-smi can open it again, and restarts the loop if so.
   */
  function scheduleRecheck (): void {
    if (recheckTimer !== null || state === 'stopped') return
    recheckTimer = timers.setTimeout(() => {
      recheckTimer = null
      void recheckMissing()
    }, o.missingRecheckMs)
  }

  async function recheckMissing (): Promise<void> {
    if (state === 'stopped' || roster.missing().length === 0) return
    try {
      const result = await run(queryArgs(fields))
      const back = parseGpuRows(fields, result.stdout).filter(g => childLost.has(g.index) || !roster.order().includes(g.index))
      if (back.length > 0 && child !== null && state === 'running') {
        log.info({ gpus: back.map(g => roster.describe(g.index)) }, 'nvidia-smi can open a missing GPU again; restarting the loop to include it')
        roster.see(back)
        retireChild()
        scheduleRespawn(0)
      }
    } catch (err) {
      log.debug({ err: (err as Error).message }, 'missing-GPU re-check failed')
    }
    if (roster.missing().length > 0) scheduleRecheck()
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
    const read = await readSnapshotOnce(run, fields, roster.order(), { now: o.now, monotonicNow: o.monotonicNow })
    parseErrors += read.badLines
    roster.see(read.gpus)
    for (const lost of read.lost) {
      markMissing(roster.indexOfBus(lost.pciBusId), lost.pciBusId, `nvidia-smi: Unable to determine the device handle for GPU ${lost.pciBusId}: ${lost.reason}`)
    }
    const missing = roster.missing()
    for (const index of read.absent) {
      if (!missing.some(m => m.index === index)) missing.push({ ...roster.describe(index), index, name: null, reason: 'no row in a one-shot nvidia-smi query', since: read.recordedAt })
    }
    const snapshot: Snapshot = { recordedAt: read.recordedAt, gpus: withMig(read.gpus, mig), monotonicAt: read.monotonicAt, missing }
    // A fresher read than the loop's newest tick serves the local API at once: after a purge,
    // GET /v1/gpu/memory must not show the memory the purge just reported freed. Listeners
    // (uplink, metrics) are not told: they keep the loop's 1 Hz cadence.
    if (latest === null || snapshot.recordedAt > latest.recordedAt) latest = snapshot
    return snapshot
  }

  function clearTimers (): void {
    for (const t of [watchdogTimer, respawnTimer, appsTimer, recheckTimer]) if (t !== null) timers.clearTimeout(t)
    watchdogTimer = respawnTimer = appsTimer = recheckTimer = null
  }

  return {
    async start () {
      if (state !== 'stopped') return
      state = 'starting'
      abort = new AbortController()
      try {
        const began = o.monotonicNow()
        const probe = await probeFields(run, o.nvidiaSmiPath, log)
        probeMs = o.monotonicNow() - began
        fields = probe.fields
        roster = createGpuRoster(probe.gpus, o.now)
        for (const lost of probe.lost) {
          markMissing(roster.indexOfBus(lost.pciBusId), lost.pciBusId, `nvidia-smi: Unable to determine the device handle for GPU ${lost.pciBusId}: ${lost.reason}`)
        }
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
        c.kill()
        await c.exited
        if (child === c) child = null
      }
      await Promise.allSettled([...oneShots, ...retiring])
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
      abandonedChildren: abandoned,
    }),
  }
}
