import { hostname as osHostname } from 'node:os'
import { join } from 'node:path'
import type { Snapshot } from '../collector/snapshot.ts'
import { GPU_STATS_PATH } from '../../shared/wire/paths.ts'
import type { GpuStatRow, GpuStatsIngest, IngestNode } from '../../shared/wire/gpu-stats.ts'
import { createBackoff } from './create-backoff.ts'
import { createRegistrar } from './create-registrar.ts'
import type { Registrar } from './create-registrar.ts'
import { createUpstream } from './create-upstream.ts'
import type { Upstream, UpstreamResult } from './create-upstream.ts'
import { openAgentState } from './open-agent-state.ts'
import type { AgentStateStore } from './open-agent-state.ts'
import { openSpool } from './open-spool.ts'
import type { Spool, SpoolBatch } from './open-spool.ts'
import { readHostFacts } from './read-host-facts.ts'
import type { HostFacts } from './read-host-facts.ts'
import { realTimers } from './timers.ts'
import { toGpuStatRows } from './to-gpu-stat-rows.ts'
import { resolveUplinkOptions } from './uplink-options.ts'
import type { UplinkOptions } from './uplink-options.ts'
import type { UplinkStats } from './uplink-stats.ts'

export type { UplinkOptions } from './uplink-options.ts'

export interface Uplink {
  start: () => Promise<void>
  stop: () => Promise<void>
  stats: () => UplinkStats
}

const REJECT_LOG_EVERY_MS = 60_000

/**
 * Register, push every snapshot, spool what isn't acknowledged, replay it when upstream answers.
 *
 * Two senders, each with at most one request in flight:
 * - live: while upstream is up, each snapshot's rows go out at once (what arrived during a
 *   request rides the next one). Dashboards get "now" first.
 * - replay: drains the spool oldest first, one segment per request, pausing replayPauseMs
 *   between batches; a batch leaves the disk only after a 2xx.
 * When any push fails for a reason worth retrying, upstream is "down": live rows go straight
 * to the spool and the replay sender alone probes with the oldest batch on a backoff
 * (1 s → 30 s), instead of every tick hammering a control plane that is struggling. Its first
 * 2xx brings live pushing back. A row is only ever in one place (memory or spool), so rows are
 * sent twice only after an ambiguous failure (timeout after the server stored them), which
 * ingest's (node, gpu_id, recorded_at) key makes harmless.
 */
export function createUplink (options: UplinkOptions): Uplink {
  const o = resolveUplinkOptions(options)
  const log = o.log
  const now = o.now ?? Date.now
  const timers = o.timers ?? realTimers
  const backoff = createBackoff(o.backoff)
  const shutdown = new AbortController()

  let spool: Spool | null = null
  let upstream: Upstream | null = null
  let state: AgentStateStore | null = null
  let registrar: Registrar | null = null
  let node: IngestNode | null = null
  let unsubscribe: (() => void) | null = null

  let up = true
  let stopping = false
  let started: Promise<void> | null = null
  let stopped: Promise<void> | null = null
  let pending: GpuStatRow[] = []
  let live: Promise<void> | null = null
  let replay: Promise<void> | null = null
  let replayTimer: unknown = null
  let authFailing = false
  let lastRejectLogAt = -Infinity
  let lastSpoolErrorLogAt = -Infinity

  const counters = { pushFailures: 0, pushedSamples: 0, rejectedSamples: 0, spoolWriteFailures: 0, lastPushAt: null as number | null, lastError: null as string | null }

  function ingest (rows: GpuStatRow[]): GpuStatsIngest {
    const nodeId = state?.get().nodeId
    return { node: nodeId ? { ...node!, node_id: nodeId } : node!, gpus: rows }
  }

  function post (rows: GpuStatRow[], timeoutMs?: number): Promise<UpstreamResult> {
    return upstream!.postJson(GPU_STATS_PATH, ingest(rows), { signal: shutdown.signal, timeoutMs })
  }

  function toSpool (rows: GpuStatRow[]): Promise<void> {
    return spool!.append(rows).catch((err: unknown) => {
      // A full disk or a dead device: these rows are lost, and that must be visible.
      counters.spoolWriteFailures += rows.length
      if (now() - lastSpoolErrorLogAt >= REJECT_LOG_EVERY_MS) {
        lastSpoolErrorLogAt = now()
        log.error({ err: String(err), rows: rows.length, lostTotal: counters.spoolWriteFailures }, 'could not write samples to the spool; they are lost')
      }
    })
  }

  function onSnapshot (snapshot: Snapshot): void {
    if (stopping) return
    const rows = toGpuStatRows(snapshot)
    if (!up) { void toSpool(rows); return }
    pending.push(...rows)
    // A request hanging up to its timeout lets ticks pile up; past one batch they're safer on disk.
    if (pending.length > o.batchMaxRows) void toSpool(pending.splice(0))
    kickLive()
  }

  function kickLive (): void {
    if (live || stopping || !up || pending.length === 0) return
    const rows = pending.splice(0, o.batchMaxRows)
    live = (async () => {
      const res = await post(rows)
      if (res.kind === 'ok') acknowledged(rows.length)
      else if (res.kind === 'reject') rejected(rows.length, res)
      else { await toSpool(rows); failed(res) }
    })().finally(() => { live = null; kickLive() })
  }

  function scheduleReplay (ms: number): void {
    if (stopping || replay || replayTimer !== null) return
    replayTimer = timers.setTimeout(() => { replayTimer = null; kickReplay() }, ms)
  }

  function kickReplay (): void {
    if (stopping || replay) return
    if (replayTimer !== null) { timers.clearTimeout(replayTimer); replayTimer = null }
    let next: number | null = null
    replay = (async () => {
      const batch = await spool!.peek().catch((err: unknown) => {
        log.error({ err: String(err) }, 'could not read the spool')
        return null
      })
      if (batch === null) {
        // Nothing to probe with (the rows that failed could not be written): let live probe.
        up = true
        return
      }
      next = await sendBatch(batch)
    })().finally(() => {
      replay = null
      // A live push may have failed while this replay found nothing to send: someone must probe.
      if (next === null && !up) next = backoff.next()
      if (next === 0) kickReplay()
      else if (next !== null) scheduleReplay(next)
    })
  }

  async function sendBatch (batch: SpoolBatch): Promise<number | null> {
    const res = await post(batch.rows)
    if (res.kind === 'ok' || res.kind === 'reject') {
      await spool!.ack(batch).catch(() => {})
      if (res.kind === 'ok') acknowledged(batch.rows.length)
      else rejected(batch.rows.length, res)
      return spool!.stats().samples > 0 ? o.replayPauseMs : null
    }
    spool!.release(batch)
    failed(res)
    return backoff.next()
  }

  function acknowledged (samples: number): void {
    counters.pushedSamples += samples
    counters.lastPushAt = now()
    if (authFailing) log.info({}, 'control plane accepts the API key again')
    authFailing = false
    backoff.reset()
    if (!up) {
      up = true
      log.info({ spoolSamples: spool!.stats().samples }, 'control plane answers again; live pushing resumed, replaying the spool')
    }
    if (spool!.stats().samples > 0 && !replay && replayTimer === null) kickReplay()
  }

  function rejected (samples: number, res: UpstreamResult): void {
    counters.rejectedSamples += samples
    counters.lastError = res.error ?? null
    // Same batch shape every second would log every second: once a minute is enough.
    if (now() - lastRejectLogAt >= REJECT_LOG_EVERY_MS) {
      lastRejectLogAt = now()
      log.error({ status: res.status, error: res.error, samples, rejectedTotal: counters.rejectedSamples }, 'control plane rejected samples as invalid; dropped (not retried)')
    }
  }

  function failed (res: UpstreamResult): void {
    counters.pushFailures++
    counters.lastError = res.error ?? null
    if (res.kind === 'auth' && !authFailing) {
      authFailing = true
      log.error({ status: res.status }, `control plane refused the API key for ingest (HTTP ${res.status}); check --api-key / GPUFLEET_API_KEY. Samples are kept in the spool and sent once it is accepted`)
    }
    if (up) {
      up = false
      log.warn({ status: res.status, error: res.error }, 'push to the control plane failed; spooling samples to disk until it answers')
    }
    if (pending.length > 0) void toSpool(pending.splice(0))
    if (!replay) scheduleReplay(backoff.next())
  }

  return {
    start () {
      started ??= init()
      return started
    },

    stop () {
      stopped ??= (async () => {
        stopping = true
        // stop() during start(): let start finish wiring up, then take it all down in order.
        await started?.catch(() => {})
        unsubscribe?.()
        if (replayTimer !== null) { timers.clearTimeout(replayTimer); replayTimer = null }
        if (!upstream) return
        // Requests in flight get flushTimeoutMs to finish; then they are cut and their rows
        // stay (or go) on disk. Only a 2xx takes rows out of the agent's hands.
        const cut = setTimeout(() => shutdown.abort(), o.flushTimeoutMs)
        await Promise.all([registrar!.stop(), live, replay])
        const rows = pending.splice(0)
        if (rows.length > 0) {
          const res = up && !shutdown.signal.aborted ? await post(rows, o.flushTimeoutMs) : null
          if (res?.kind === 'ok') acknowledged(rows.length)
          else if (res?.kind === 'reject') rejected(rows.length, res)
          else await toSpool(rows)
        }
        clearTimeout(cut)
        await spool!.close()
        await upstream.close()
      })()
      return stopped
    },

    stats () {
      const s = spool?.stats()
      return {
        registered: registrar?.registered() ?? false,
        nodeId: state?.get().nodeId ?? null,
        spoolBytes: s?.bytes ?? 0,
        spoolSamples: s?.samples ?? 0,
        spoolDropped: (s?.dropped ?? 0) + counters.spoolWriteFailures,
        spoolCorrupt: s?.corrupt ?? 0,
        pushFailures: counters.pushFailures,
        pushedSamples: counters.pushedSamples,
        rejectedSamples: counters.rejectedSamples,
        lastPushAt: counters.lastPushAt,
        lastError: counters.lastError,
      }
    },
  }

  async function init (): Promise<void> {
    state = await openAgentState(o.stateDir, log)
    const facts = await (o.hostFacts ?? readHostFacts)().catch((err: unknown): HostFacts => {
      log.warn({ err: String(err) }, 'could not read host facts; registering with the hostname only')
      return { hostname: osHostname(), ipAddress: null, cpuCores: null, ramGb: null }
    })
    const hostname = o.hostname ?? facts.hostname
    node = { hostname, cluster: o.cluster, agent_version: o.agentVersion }
    if (o.region !== undefined) node.region = o.region
    spool = await openSpool({ dir: join(o.stateDir, 'spool'), maxBytes: o.spoolMaxBytes, segmentMaxRows: o.batchMaxRows, segmentMaxBytes: Math.min(o.batchMaxBytes, Math.floor(o.spoolMaxBytes / 16)) })
    const s = spool.stats()
    if (s.samples > 0 || s.corrupt > 0) log.info({ spoolSamples: s.samples, spoolBytes: s.bytes, corruptLines: s.corrupt }, 'spool from a previous run found; replaying it')
    upstream = createUpstream({ baseUrl: o.controlPlaneUrl, apiKey: o.apiKey, userAgent: `gpufleet-agent/${o.agentVersion} (${state.get().agentId})`, timeoutMs: o.pushTimeoutMs, ca: o.controlPlaneCa })
    registrar = createRegistrar({
      upstream, state, source: o.source, facts, hostname, cluster: o.cluster, region: o.region, agentUrl: o.agentUrl,
      timers, now, log, backoff: createBackoff(o.backoff), heartbeatMs: o.heartbeatMs,
    })
    unsubscribe = o.source.onSnapshot(onSnapshot)
    registrar.start()
    if (s.samples > 0) kickReplay()
  }
}
