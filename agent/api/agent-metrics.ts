import { Counter, Gauge, Registry } from 'prom-client'
import { collectProcessMetrics } from '../../shared/collect-process-metrics.ts'
import type { XidWatch } from '../collector/create-xid-watch.ts'
import { normalizeBusId } from '../collector/normalize-bus-id.ts'
import type { GpuReading, Snapshot } from '../collector/snapshot.ts'
import type { GpuSource } from '../gpu-source.ts'
import type { UplinkStats } from '../uplink/uplink-stats.ts'
import type { GpuProcess } from '../../shared/wire/job-execution.ts'
import { registerProcessGauges } from './process-gauges.ts'
import { registerDcgmGauges } from './dcgm-gauges.ts'
import { snapshotAgeMs } from './fresh-snapshot.ts'

export interface AgentMetricsOptions {
  source: GpuSource
  uplinkStats: () => UplinkStats
  hostname: string
  staleAfterMs: number
  now?: () => number
  /** The collector's monotonic clock: ages are measured on it (see snapshotAgeMs). */
  monotonicNow?: () => number
  version?: string
  /** prom-client's process metrics (CPU, RSS, event loop, GC) under the gpufleet_agent_ prefix. */
  processMetrics?: boolean
  /** Xid errors from the kernel log; absent when the agent does not read it. */
  xids?: XidWatch | undefined
  /** The GPU processes now, attributed to executed jobs (agent/jobs); absent: no process series. */
  processes?: (() => readonly GpuProcess[] | null) | undefined
}

export interface AgentMetrics {
  registry: Registry
  /** `text/plain; version=0.0.4; charset=utf-8` */
  contentType: string
  render: () => Promise<string>
}

const PREFIX = 'gpufleet_agent_'

/**
 * Everything `/metrics` serves, on a private registry (never prom-client's global one, so
 * two agents in one test process don't collide). All values are read from the collector and
 * uplink at scrape time; nothing here keeps its own copy that could drift.
 */
export function createAgentMetrics (options: AgentMetricsOptions): AgentMetrics {
  const { source, uplinkStats, hostname, staleAfterMs } = options
  const now = options.now ?? Date.now
  const monotonicNow = options.monotonicNow ?? (() => performance.now())
  const ageMs = (snapshot: Snapshot): number => snapshotAgeMs(snapshot, now(), monotonicNow())
  const registry = new Registry()

  function freshGpus (): readonly GpuReading[] {
    const snapshot = source.latest()
    if (snapshot === null || ageMs(snapshot) > staleAfterMs) return []
    return snapshot.gpus
  }
  const xids = options.xids
  registerDcgmGauges(registry, { hostname, currentGpus: freshGpus, ...(xids !== undefined && { xidFor: gpu => xids.forBusId(gpu.pciBusId) }) })
  if (xids !== undefined) {
    gauge(registry, 'kernel_log_readable', 'Whether the agent can read the kernel log for NVIDIA Xid errors (1) or not (0; see /healthz).', () => xids.status().readable ? 1 : 0)
    new Counter({
      name: `${PREFIX}xid_errors_total`,
      help: 'NVIDIA Xid errors read from the kernel log, per GPU and Xid code.',
      labelNames: ['gpu', 'UUID', 'pci_bus_id', 'xid', 'Hostname'],
      registers: [registry],
      collect () {
        this.reset()
        // Every GPU the log named, also one that fell off the bus and left nvidia-smi's rows
        // (Xid 79): the labels come from the newest snapshot that still has it.
        const known = new Map((source.latest()?.gpus ?? []).map(g => [normalizeBusId(g.pciBusId ?? ''), g]))
        for (const [busId, summary] of xids.all()) {
          const gpu = known.get(busId)
          for (const [xid, n] of summary.byXid) {
            this.inc({ gpu: gpu === undefined ? '' : String(gpu.index), UUID: gpu?.uuid ?? '', pci_bus_id: gpu?.pciBusId ?? busId, xid: String(xid), Hostname: hostname }, n)
          }
        }
      },
    })
  }

  if (options.processes !== undefined) registerProcessGauges(registry, { hostname, processes: options.processes, gpus: () => source.latest()?.gpus ?? [] })
  gauge(registry, 'up', 'Whether the gpufleet agent is serving (always 1 when scraped).', () => 1)
  new Gauge({
    name: `${PREFIX}info`,
    help: 'gpufleet agent build and host; always 1.',
    labelNames: ['version', 'Hostname'],
    registers: [registry],
    collect () { this.reset(); this.set({ version: options.version ?? 'unknown', Hostname: hostname }, 1) },
  })
  // +Inf before the first sample: "never" is infinitely old, and an age alert should fire.
  gauge(registry, 'last_sample_age_seconds', 'Age of the newest GPU snapshot in seconds (+Inf before the first).', () => {
    const snapshot = source.latest()
    return snapshot === null ? Infinity : ageMs(snapshot) / 1000
  })
  gauge(registry, 'gpu_data_stale', 'Whether GPU series are withheld because the newest snapshot is missing or stale (1) or not (0).', () => {
    const snapshot = source.latest()
    return snapshot === null || ageMs(snapshot) > staleAfterMs ? 1 : 0
  })
  counter(registry, 'collector_restarts_total', 'Times the nvidia-smi child was respawned.', () => source.health().restarts)
  counter(registry, 'parse_errors_total', 'nvidia-smi output lines that did not parse and were skipped.', () => source.health().parseErrors)
  gauge(registry, 'spool_bytes', 'Bytes waiting in the on-disk uplink spool.', () => uplinkStats().spoolBytes)
  gauge(registry, 'spool_samples', 'GPU samples waiting in the on-disk uplink spool.', () => uplinkStats().spoolSamples)
  counter(registry, 'spool_dropped_samples_total', 'Samples dropped, oldest first, because the spool was full.', () => uplinkStats().spoolDropped)
  counter(registry, 'push_failures_total', 'Failed pushes to the control plane.', () => uplinkStats().pushFailures)
  counter(registry, 'pushed_samples_total', 'GPU samples stored by the control plane (skipped or refused rows are not counted here).', () => uplinkStats().pushedSamples)
  counter(registry, 'rejected_samples_total', 'GPU samples the control plane refused or skipped as invalid or outside its time window (e.g. agent clock ahead); dropped, not retried.', () => uplinkStats().rejectedSamples ?? 0)

  // 1 s event-loop sampling: the 10 ms default wakes the agent 100×/s, ~40 % of its idle CPU.
  if (options.processMetrics !== false) collectProcessMetrics(registry, PREFIX, 1000)

  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
  }
}

function gauge (registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({ name: PREFIX + name, help, registers: [registry], collect () { this.set(read()) } })
}

/**
 * The collector and uplink keep absolute totals; a scrape resets the counter and sets it to
 * that total, so it stays monotonic exactly as long as the source does (a process restart
 * resets both, which Prometheus' rate() handles).
 */
function counter (registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({ name: PREFIX + name, help, registers: [registry], collect () { this.reset(); this.inc(read()) } })
}
