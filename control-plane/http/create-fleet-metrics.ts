import { Gauge, type Registry } from 'prom-client'
import { PENDING_REASONS } from '../../shared/wire/enums.ts'
import type { Logger } from '../../shared/logger.ts'
import type { Store } from '../store/store.ts'

export interface FleetMetricsDeps {
  registry: Registry
  store: Store
  now: () => number
  log: Pick<Logger, 'warn'>
  /** Only the leader exports the fleet's figures, so sum() over the replicas counts each GPU once. */
  isLeader: () => boolean
  /** One read of the store serves every gauge of a scrape (default 1000 ms). */
  cacheMs?: number
}

/** GPU states as an operator counts them (the four): every GPU is in exactly one. */
export const GPU_STATES = ['allocated', 'idle', 'unknown', 'offline'] as const
type GpuState = typeof GPU_STATES[number]

interface FleetFigures {
  nodes: Map<string, { online: number, offline: number, drained: number }>
  gpus: Map<string, Record<GpuState, number>>
  queue: Partial<Record<string, number>>
  alerts: Map<string, number>
  /** Per cluster: age in seconds of the stalest online node's newest stored reading. */
  lag: Map<string, number>
}

const PREFIX = 'gpufleet_cp_'

/**
 * The fleet's state as Prometheus gauges, read from the store at scrape time (never kept
 * here, so nothing drifts): nodes by status, GPUs by state, the queue by pending reason,
 * firing alerts by rule type and ingest lag. A failed read is logged and reported as
 * gpufleet_cp_fleet_scrape_success 0 (node_exporter's habit): /metrics itself still answers.
 */
export function createFleetMetrics (deps: FleetMetricsDeps): void {
  const { registry, store, now, log, isLeader } = deps
  const cacheMs = deps.cacheMs ?? 1000
  let cached: { at: number, figures: Promise<FleetFigures | null> } | null = null
  const read = (): Promise<FleetFigures | null> => {
    const t = now()
    if (cached !== null && t - cached.at < cacheMs && t >= cached.at) return cached.figures
    const figures = isLeader()
      ? readFigures(store, t).catch((err: unknown) => {
        log.warn({ err: { message: (err as Error).message } }, 'fleet metrics: store read failed')
        return null
      })
      : Promise.resolve(null)
    cached = { at: t, figures }
    return figures
  }

  new Gauge({
    name: `${PREFIX}fleet_scrape_success`,
    help: 'Whether the fleet gauges below were read from the store on this scrape (1), or the read failed (0). Absent on a replica that does not lead.',
    registers: [registry],
    async collect () {
      this.reset()
      const f = await read()
      if (isLeader()) this.set(f === null ? 0 : 1)
    },
  })
  fleetGauge(registry, read, 'nodes', 'Nodes by cluster and status (online, offline; drained counts drained nodes whatever their status).', ['cluster', 'status'], f => {
    const out: Array<[Record<string, string>, number]> = []
    for (const [cluster, n] of f.nodes) for (const status of ['online', 'offline', 'drained'] as const) out.push([{ cluster, status }, n[status]])
    return out
  })
  fleetGauge(registry, read, 'gpus', 'GPUs by cluster and state: allocated (a running job holds it), idle (online, reporting, held by no job, whatever its utilization), unknown (online, held by no job, utilization not read: no reading yet, or N/A), offline (its node is offline).', ['cluster', 'state'], f => {
    const out: Array<[Record<string, string>, number]> = []
    for (const [cluster, n] of f.gpus) for (const state of GPU_STATES) out.push([{ cluster, state }, n[state]])
    return out
  })
  fleetGauge(registry, read, 'queue_jobs', 'Jobs waiting (queued or blocked) now, by pending reason.', ['reason'], f =>
    PENDING_REASONS.map(reason => [{ reason }, f.queue[reason] ?? 0]))
  fleetGauge(registry, read, 'alerts_firing', 'Open alert events by rule type (silenced ones included).', ['rule_type'], f =>
    [...f.alerts].map(([ruleType, n]) => [{ rule_type: ruleType }, n]))
  fleetGauge(registry, read, 'ingest_lag_seconds', 'Per cluster: seconds since the newest stored GPU reading of its stalest online node (how far ingest trails the fleet); absent for a cluster with no reading from an online node.', ['cluster'], f =>
    [...f.lag].map(([cluster, s]) => [{ cluster }, s]))
}

function fleetGauge (registry: Registry, read: () => Promise<FleetFigures | null>, name: string, help: string, labelNames: string[], values: (f: FleetFigures) => Array<[Record<string, string>, number]>): void {
  new Gauge({
    name: PREFIX + name,
    help,
    labelNames,
    registers: [registry],
    async collect () {
      this.reset()
      const f = await read()
      if (f === null) return
      for (const [labels, v] of values(f)) this.set(labels, v)
    },
  })
}

async function readFigures (store: Store, at: number): Promise<FleetFigures> {
  const [clusters, nodes, gpus, queue, rules] = await Promise.all([
    store.fleet.listClusters(),
    store.fleet.listNodes(),
    store.jobs.allocation({}),
    store.jobs.queueStats(at),
    store.alerts.listRules(),
  ])
  const clusterName = new Map(clusters.map(c => [c.id, c.name]))
  const f: FleetFigures = { nodes: new Map(), gpus: new Map(), queue: queue.byReason, alerts: new Map(), lag: new Map() }
  for (const c of clusters) {
    f.nodes.set(c.name, { online: 0, offline: 0, drained: 0 })
    f.gpus.set(c.name, { allocated: 0, idle: 0, unknown: 0, offline: 0 })
  }
  for (const n of nodes) {
    const counts = f.nodes.get(clusterName.get(n.clusterId) ?? '')
    if (counts === undefined) continue
    counts[n.status]++
    if (n.drainedAt !== null) counts.drained++
  }
  const newestByNode = new Map<number, { cluster: string, at: number }>()
  for (const g of gpus) {
    const counts = f.gpus.get(g.clusterName)
    if (counts === undefined) continue
    const state: GpuState = g.nodeStatus === 'offline' ? 'offline' : g.job !== null ? 'allocated' : g.status === 'unknown' ? 'unknown' : 'idle'
    counts[state]++
    if (g.nodeStatus === 'online' && g.updatedAt !== null) {
      const seen = newestByNode.get(g.nodeId)
      if (seen === undefined || g.updatedAt > seen.at) newestByNode.set(g.nodeId, { cluster: g.clusterName, at: g.updatedAt })
    }
  }
  for (const { cluster, at: newest } of newestByNode.values()) {
    const lag = Math.max(0, at - newest) / 1000
    f.lag.set(cluster, Math.max(f.lag.get(cluster) ?? 0, lag))
  }
  for (const r of rules) f.alerts.set(r.ruleType, (f.alerts.get(r.ruleType) ?? 0) + r.activeEvents)
  return f
}
