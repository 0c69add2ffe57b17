import type { Snapshot } from '../../agent/collector/snapshot.ts'
import { toGpuStatRows } from '../../agent/uplink/to-gpu-stat-rows.ts'
import type { GpuStatsIngest, IngestNode } from '../../shared/wire/gpu-stats.ts'
import type { GpuRegistration, NodeRegistration } from '../../shared/wire/registration.ts'
import type { BodyTemplate } from './run-push-load.ts'

/**
 * What one simulated 8×B200 host sends, in the agent's own wire format: the registration
 * bodies (shared/wire/registration.ts) and the push body built by the agent's own
 * toGpuStatRows from a snapshot, split around its recorded_at so each tick splices in its time.
 */
export interface SimulatedAgent {
  hostname: string
  cluster: string
  node: NodeRegistration
  gpus: (nodeId: number) => GpuRegistration
  /** The push body with the node id the control plane gave at registration. */
  pushTemplate: (nodeId: number) => BodyTemplate
}

const EPOCH_ISO = new Date(0).toISOString()

export function simulatedAgent (i: number, opts: { cluster: string, region?: string, gpus?: number, prefix?: string, utilizationPct?: number }): SimulatedAgent {
  const hostname = `${opts.prefix ?? 'sim-node'}-${i}`
  const count = opts.gpus ?? 8
  const uuid = (g: number) => `GPU-${i.toString(16).padStart(8, '0')}-0000-4000-8000-${g.toString().padStart(12, '0')}`
  const snapshot: Snapshot = {
    recordedAt: 0,
    gpus: Array.from({ length: count }, (_, g) => ({
      index: g,
      uuid: uuid(g),
      name: 'NVIDIA B200',
      pciBusId: `00000000:${(0x18 + g).toString(16).toUpperCase()}:00.0`,
      memoryTotalMib: 183359,
      memoryReservedMib: 512,
      memoryUsedMib: 100000 + ((i * 131 + g * 17) % 80000),
      memoryFreeMib: 82847,
      utilizationGpuPct: opts.utilizationPct ?? (i * 7 + g * 13) % 101,
      utilizationMemoryPct: 35,
      temperatureGpuC: 40 + ((i + g) % 30),
      temperatureMemoryC: 45,
      powerDrawInstantW: 300 + ((i * 7 + g * 13) % 700),
      powerDrawAverageW: 590,
      powerLimitW: 1000,
      smClockMhz: 1965,
      memClockMhz: 3996,
      pstate: 'P0',
      eccCorrectedVolatile: 0,
      eccUncorrectedVolatile: 0,
      clocksEventReasons: 0, remappedRowsCorrectable: 0, remappedRowsUncorrectable: 0, remappedRowsPending: false, remappedRowsFailure: false,
    })),
  }
  const node: NodeRegistration = {
    cluster_name: opts.cluster,
    ...(opts.region === undefined ? {} : { region: opts.region }),
    hostname,
    ip_address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    total_gpus: count,
    cpu_cores: 224,
    ram_gb: 2048,
  }
  return {
    hostname,
    cluster: opts.cluster,
    node,
    gpus: nodeId => ({
      node_id: nodeId,
      gpus: snapshot.gpus.map(g => ({ gpu_index: g.index, uuid: g.uuid!, model: g.name!, vram_mb: g.memoryTotalMib! })),
    }),
    pushTemplate (nodeId) {
      const ingestNode: IngestNode = { hostname, cluster: opts.cluster, node_id: nodeId, agent_version: 'soak' }
      if (opts.region !== undefined) ingestNode.region = opts.region
      const body: GpuStatsIngest = { node: ingestNode, gpus: toGpuStatRows(snapshot) }
      return JSON.stringify(body).split(JSON.stringify(EPOCH_ISO))
    },
  }
}
