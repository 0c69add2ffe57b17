import type { XidWatch } from '../collector/create-xid-watch.ts'
import type { GpuSource } from '../gpu-source.ts'
import type { UplinkStats } from '../uplink/uplink-stats.ts'
import { httpError } from '../../shared/error-codes.ts'
import { snapshotAgeMs } from './fresh-snapshot.ts'
import { gpuHealthReasons, missingGpusWire } from './gpu-health-wire.ts'

/**
 * `GET /healthz`: 200 once the first snapshot exists (systemd, load balancers and tests wait
 * on it), 503 NOT_READY before. Ready but stale, a collector that is not running, a GPU
 * missing or a value that is a fault is "degraded" with the reasons listed: still 200, since
 * the agent itself is up and serving. `reasons` is one flat list of sentences that each part
 * adds to (collector, GPUs, uplink: spooling, dropping, rejected rows); degraded is simply
 * "the list is not empty".
 */
export function healthzBody (options: { source: GpuSource, uplinkStats: UplinkStats, nowMs: number, monotonicNowMs?: number, staleAfterMs: number, hostname: string, xids?: XidWatch | undefined }) {
  const { source, uplinkStats: uplink, nowMs, monotonicNowMs, staleAfterMs, hostname } = options
  const health = source.health()
  const collector = {
    state: health.state,
    restarts: health.restarts,
    parse_errors: health.parseErrors,
    last_snapshot_at: health.lastSnapshotAt === null ? null : new Date(health.lastSnapshotAt).toISOString(),
    child_pid: health.childPid,
    fields: health.fields,
    last_error: health.lastError,
    abandoned_children: health.abandonedChildren ?? 0,
  }
  const snapshot = source.latest()
  if (snapshot === null) {
    throw httpError('NOT_READY', 'agent not ready: no GPU snapshot yet', { hostname, collector })
  }
  const ageMs = snapshotAgeMs(snapshot, nowMs, monotonicNowMs)
  const reasons: string[] = []
  if (ageMs > staleAfterMs) reasons.push(`GPU data stale: newest snapshot is ${(ageMs / 1000).toFixed(1)} s old`)
  if (health.state !== 'running') reasons.push(`collector ${health.state}`)
  reasons.push(...gpuHealthReasons(snapshot))
  reasons.push(...(uplink.reasons ?? []))
  return {
    status: reasons.length === 0 ? 'ok' as const : 'degraded' as const,
    reasons,
    hostname,
    recorded_at: new Date(snapshot.recordedAt).toISOString(),
    data_age_ms: ageMs,
    stale_after_ms: staleAfterMs,
    total_gpus: snapshot.gpus.length,
    missing_gpus: missingGpusWire(snapshot),
    collector,
    // Xid errors come only from the kernel log; say whether it can be read (not a degradation:
    // many hosts restrict it) rather than let "no Xids" pass for "none happened". Absent when
    // --kernel-log is empty.
    ...(options.xids !== undefined && { kernel_log: kernelLog(options.xids) }),
    uplink: {
      registered: uplink.registered,
      node_id: uplink.nodeId,
      spool_bytes: uplink.spoolBytes,
      spool_samples: uplink.spoolSamples,
      spool_dropped_samples: uplink.spoolDropped,
      push_failures: uplink.pushFailures,
      pushed_samples: uplink.pushedSamples,
      rejected_samples: uplink.rejectedSamples ?? 0,
      last_push_at: uplink.lastPushAt === null ? null : new Date(uplink.lastPushAt).toISOString(),
      last_error: uplink.lastError,
    },
  }
}

function kernelLog (xids: XidWatch) {
  const s = xids.status()
  return { readable: s.readable, path: s.path, error: s.error, xid_events: s.events }
}
