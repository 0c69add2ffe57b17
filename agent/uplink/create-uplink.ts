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
import type { AgentState, AgentStateStore } from './open-agent-state.ts'
import { pinOperatorKey } from './pin-operator-key.ts'
import { openSpool } from './open-spool.ts'
import type { Spool, SpoolBatch } from './open-spool.ts'
import { parseIngestAck } from './parse-ingest-ack.ts'
import { readHostFacts } from './read-host-facts.ts'
import type { HostFacts } from './read-host-facts.ts'
import { realTimers } from '../../shared/timers.ts'
import { toGpuStatRows } from './to-gpu-stat-rows.ts'
import { resolveUplinkOptions } from './uplink-options.ts'
import type { UplinkOptions } from './uplink-options.ts'
import type { UplinkStats } from './uplink-stats.ts'

export type { UplinkOptions } from './uplink-options.ts'

export interface Uplink {
  start: () => Promise<void>
  stop: () => Promise<void>
  stats: () => UplinkStats
  /** The identity file's contents (node, cluster, pinned operator-token keys); null before start. */
  state: () => Readonly<AgentState> | null
}

const REJECT_LOG_EVERY_MS = 60_000
/** How long a drop or a rejection keeps /healthz degraded: long enough for a probe every few minutes to see it. */
export const UPLINK_REASON_HOLD_MS = 10 * 60_000

/** What an answer means for the rows sent: stored (minus `skipped`), refused as invalid, or kept to send again. */
type Verdict =
  | { kind: 'ok', skipped: number }
  | { kind: 'reject', res: UpstreamResult }
  | { kind: 'keep', res: UpstreamResult }

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
 *
 * Counting: pushedSamples is what the control plane stored (or already had); rows its 2xx
 * says it skipped (fail-soft: invalid, or outside its time window) and rows a validation
 * error refused are rejectedSamples. A 2xx that is not an ingest acknowledgement (a proxy's
 * page) acknowledges nothing: the rows are kept and sent again.
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
  // Snapshots arriving before init finished wiring up wait in `pending` (ticks taken at start are kept).
  let ready = false
  // Each tick's rows need their own recorded_at (see stampOf).
  let lastStamp = -Infinity
  let seenDropped = 0
  let lastDropAt = -Infinity
  let lastRejection: { at: number, what: string } | null = null

  const pinWarnings = new Set<string>()
  const counters = { pushFailures: 0, pushedSamples: 0, rejectedSamples: 0, spoolWriteFailures: 0, lastPushAt: null as number | null, lastError: null as string | null }

  function ingest (rows: GpuStatRow[]): GpuStatsIngest {
    const nodeId = state?.get().nodeId
    return { node: nodeId ? { ...node!, node_id: nodeId } : node!, gpus: rows }
  }

  async function post (rows: GpuStatRow[], timeoutMs?: number): Promise<UpstreamResult> {
    const res = await upstream!.postJson(GPU_STATS_PATH, ingest(rows), { signal: shutdown.signal, timeoutMs, readBody: true })
    if (res.kind === 'ok') noteEpoch(res.body)
    return res
  }

  /** Every acknowledgement carries the revocation epoch: hand it to the operator API. */
  function noteEpoch (body: unknown): void {
    const epoch = (body as { revocation_epoch?: unknown } | undefined)?.revocation_epoch
    if (typeof epoch === 'number' && Number.isSafeInteger(epoch) && epoch >= 0) o.onRevocationEpoch?.(epoch)
  }

  function toSpool (rows: GpuStatRow[]): Promise<void> {
    return spool!.append(rows).then(noteDrops, (err: unknown) => {
      // A full disk or a dead device: these rows are lost, and that must be visible.
      counters.spoolWriteFailures += rows.length
      noteDrops()
      if (now() - lastSpoolErrorLogAt >= REJECT_LOG_EVERY_MS) {
        lastSpoolErrorLogAt = now()
        log.error({ err: String(err), rows: rows.length, lostTotal: counters.spoolWriteFailures }, 'could not write samples to the spool; they are lost')
      }
    })
  }

  /** A full spool drops its oldest rows to make room: note when the total last grew, for /healthz. */
  function noteDrops (): void {
    const dropped = (spool?.stats().dropped ?? 0) + counters.spoolWriteFailures
    if (dropped > seenDropped) lastDropAt = now()
    seenDropped = dropped
  }

  /**
   * The recorded_at for a tick's rows. On a loaded host the event loop can stall while
   * nvidia-smi keeps printing; the lines of two (or more) ticks then arrive in one read and
   * are assembled in the same millisecond, so they carry the same recordedAt. The control
   * plane keeps one row per (node, gpu_id, recorded_at): the second tick would be stored as a
   * "duplicate" (lost) while counted as pushed. Such a tick gets the next free millisecond.
   * Only a tick within a second behind the last stamp is moved: a wall clock stepped back
   * further is the clock's business, not a collision.
   */
  function stampOf (recordedAt: number): number {
    const stamp = recordedAt <= lastStamp && lastStamp - recordedAt < 1000 ? lastStamp + 1 : recordedAt
    lastStamp = stamp
    return stamp
  }

  function onSnapshot (snapshot: Snapshot): void {
    if (stopping) return
    const stamp = stampOf(snapshot.recordedAt)
    const rows = toGpuStatRows(stamp === snapshot.recordedAt ? snapshot : { ...snapshot, recordedAt: stamp })
    if (!ready) { pending.push(...rows); return }
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
      const verdict = judge(await post(rows))
      if (verdict.kind === 'keep') { await toSpool(rows); failed(verdict.res) } else settled(rows.length, verdict)
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
    const verdict = judge(await post(batch.rows))
    if (verdict.kind !== 'keep') {
      await spool!.ack(batch).catch(() => {})
      settled(batch.rows.length, verdict)
      return spool!.stats().samples > 0 ? o.replayPauseMs : null
    }
    spool!.release(batch)
    failed(verdict.res)
    return backoff.next()
  }

  function judge (res: UpstreamResult): Verdict {
    if (res.kind === 'reject') return { kind: 'reject', res }
    if (res.kind !== 'ok') return { kind: 'keep', res }
    const ack = parseIngestAck(res.body)
    if (ack === null) {
      return { kind: 'keep', res: { kind: 'retry', status: res.status, error: `HTTP ${res.status} but not an ingest acknowledgement: ${JSON.stringify(res.body).slice(0, 200)}` } }
    }
    return { kind: 'ok', skipped: ack.skipped }
  }

  /** Rows that left the agent's hands: stored, skipped by the control plane, or refused. */
  function settled (samples: number, verdict: Exclude<Verdict, { kind: 'keep' }>): void {
    if (verdict.kind === 'reject') return rejected(samples, verdict.res.status, verdict.res.error ?? `HTTP ${verdict.res.status}`)
    const skipped = Math.min(verdict.skipped, samples)
    acknowledged(samples - skipped)
    if (skipped > 0) {
      rejected(skipped, 200, `skipped ${skipped} of ${samples} rows as invalid or outside its time window (is this host's clock more than 5 min ahead, or the rows older than its retention?)`)
    }
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

  function rejected (samples: number, status: number | null, what: string): void {
    counters.rejectedSamples += samples
    counters.lastError = what
    lastRejection = { at: now(), what }
    // Same batch shape every second would log every second: once a minute is enough.
    if (now() - lastRejectLogAt >= REJECT_LOG_EVERY_MS) {
      lastRejectLogAt = now()
      log.error({ status, error: what, samples, rejectedTotal: counters.rejectedSamples }, 'control plane rejected samples as invalid; dropped (not retried)')
    }
  }

  /** Why the uplink is degraded now, for /healthz (empty when it is fine). */
  function reasons (): string[] {
    const out: string[] = []
    noteDrops()
    const s = spool?.stats()
    const at = now()
    if (!up) out.push(`uplink spooling: the control plane does not acknowledge pushes (${counters.lastError ?? 'no answer'}); ${s?.samples ?? 0} samples kept in the spool`)
    else if ((s?.samples ?? 0) > 0) out.push(`uplink replaying: ${s!.samples} spooled samples not yet acknowledged`)
    if (at - lastDropAt < UPLINK_REASON_HOLD_MS) {
      out.push(`uplink dropping samples: ${(s?.dropped ?? 0) + counters.spoolWriteFailures} lost so far (spool full or unwritable), the latest at ${new Date(lastDropAt).toISOString()}`)
    }
    if (lastRejection !== null && at - lastRejection.at < UPLINK_REASON_HOLD_MS) {
      out.push(`control plane rejected samples (${counters.rejectedSamples} so far), the latest at ${new Date(lastRejection.at).toISOString()}: ${lastRejection.what}`)
    }
    return out
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
          const verdict = up && !shutdown.signal.aborted ? judge(await post(rows, o.flushTimeoutMs)) : null
          if (verdict !== null && verdict.kind !== 'keep') settled(rows.length, verdict)
          else await toSpool(rows)
        }
        clearTimeout(cut)
        await spool!.close()
        await upstream.close()
      })()
      return stopped
    },

    state: () => state?.get() ?? null,

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
        reasons: reasons(),
      }
    },
  }

  async function init (): Promise<void> {
    // Subscribe before the first await: the collector is already ticking, and what it emits
    // while the state, host facts and spool load is kept in `pending` and sent once wired.
    unsubscribe = o.source.onSnapshot(onSnapshot)
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
      upstream, state, source: o.source, xids: o.xids, facts, hostname, cluster: o.cluster, region: o.region, agentUrl: o.agentUrl,
      timers, now, log, backoff: createBackoff(o.backoff), heartbeatMs: o.heartbeatMs,
      onNodeAnswer: async body => {
        const offered = (body as { operator_token_key?: unknown } | null)?.operator_token_key
        await pinOperatorKey({ state: state!, offered, repinKid: o.repinOperatorKey, log, warned: pinWarnings })
          .catch((err: unknown) => log.error({ err: String(err) }, 'could not store the operator-token key'))
      },
    })
    registrar.start()
    ready = true
    if (s.samples > 0) kickReplay()
    kickLive()
  }
}
