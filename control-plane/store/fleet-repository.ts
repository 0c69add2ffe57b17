import type { GpuStatus } from '../../shared/wire/enums.ts'
/**
 * Fleet storage (seed 003 "GPU Management"): clusters, nodes, GPUs with their live readings,
 * and durable node lifecycle events. Async so SQLite and PostgreSQL serve the same
 * interface. Times are UTC epoch milliseconds; the HTTP edge renders them as ISO 8601.
 * Business rules (the active/idle threshold, write throttling) live in control-plane/fleet;
 * the repository stores what it is given.
 */

export type ClusterStatus = 'active'
export type NodeStatus = 'online' | 'offline'
export { GPU_STATUSES, type GpuStatus } from '../../shared/wire/enums.ts'
export type NodeEventKind = 'registered' | 'online' | 'offline'

export interface Cluster {
  id: number
  name: string
  region: string | null
  status: ClusterStatus
  createdAt: number
  /** Minutes a job submitted without time_limit_min may run (null: no limit). */
  defaultTimeLimitMin: number | null
}

export interface ClusterSummary extends Cluster {
  nodeCount: number
  gpuCount: number
}

export interface FleetNode {
  id: number
  clusterId: number
  hostname: string
  ipAddress: string | null
  totalGpus: number | null
  cpuCores: number | null
  ramGb: number | null
  agentUrl: string | null
  status: NodeStatus
  lastSeenAt: number | null
  registeredAt: number
  /** Set by a drain: no new jobs are placed on the node until it is resumed. */
  drainedAt: number | null
}

/** The live readings of one GPU (seed 003 metrics fields). null = not reported. */
export interface GpuReadings {
  utilizationPct: number | null
  memoryUsedMb: number | null
  memoryTotalMb: number | null
  temperatureC: number | null
  powerDrawW: number | null
}

/**
 * What the agent reports of a GPU's health beside the samples (with the GPU registration):
 * Xid errors from the kernel log and the row remapper. Null where it has not said.
 */
export interface GpuHealth {
  xidCount: number | null
  xidLast: number | null
  xidLastAt: number | null
  remappedRowsCorrectable: number | null
  remappedRowsUncorrectable: number | null
  remappedRowsPending: boolean | null
  remappedRowsFailure: boolean | null
}

/** 'Enabled' / 'Disabled' as nvidia-smi's mig.mode.current prints it. */
export type MigMode = 'Enabled' | 'Disabled'

/** One MIG device of a GPU as its agent last reported it (nvidia-smi -L and -q). */
export interface MigInstance {
  /** GPU instance id (nvidia-smi `GI ID`, dcgm-exporter's GPU_I_ID). */
  gpuInstanceId: number
  /** Compute instance id (`CI ID`); null where the agent could not tell. */
  computeInstanceId: number | null
  /** Profile name, e.g. `1g.10gb` (dcgm-exporter's GPU_I_PROFILE). */
  profile: string | null
  /** `MIG-…` device UUID (what CUDA_VISIBLE_DEVICES takes). */
  uuid: string | null
  memoryTotalMb: number | null
  memoryUsedMb: number | null
}

/** The MIG part of a GPU's live state; null = not reported (non-MIG agents, the seed's reporter). */
export interface GpuMigState {
  migMode?: MigMode | null | undefined
  migInstances?: MigInstance[] | null | undefined
}

export interface Gpu extends GpuReadings, GpuMigState {
  id: number
  nodeId: number
  /** Always set: a GPU registered without one gets the node's lowest free index. */
  gpuIndex: number
  uuid: string | null
  model: string | null
  vramMb: number | null
  status: GpuStatus
  /** Time of the readings (null until the first one). */
  updatedAt: number | null
  createdAt: number
  health: GpuHealth
  /** When the agent last reported `health` (null: never). */
  healthAt: number | null
}

export interface NodeEvent {
  id: number
  nodeId: number
  hostname: string
  kind: NodeEventKind
  at: number
  detail: Record<string, unknown> | null
}

/** Fields left undefined keep their stored value on an update. */
export interface NodeUpsert {
  clusterId: number
  hostname: string
  ipAddress?: string | undefined
  totalGpus?: number | undefined
  cpuCores?: number | undefined
  ramGb?: number | undefined
  agentUrl?: string | undefined
  /**
   * Never move an existing node to `clusterId` (a cluster-bound agent key): when the hostname
   * belongs to another cluster, nothing is written and NodeInOtherClusterError is thrown.
   */
  keepCluster?: boolean | undefined
}

/** upsertNode with keepCluster found the hostname in another cluster; nothing was written. */
export class NodeInOtherClusterError extends Error {
  readonly code = 'NODE_OWNED_BY_OTHER_CLUSTER'
  readonly hostname: string
  readonly ownerClusterId: number
  constructor (hostname: string, ownerClusterId: number) {
    super(`node ${hostname} belongs to another cluster`)
    this.name = 'NodeInOtherClusterError'
    this.hostname = hostname
    this.ownerClusterId = ownerClusterId
  }
}

export interface NodeUpsertResult {
  node: FleetNode
  created: boolean
  /** It was offline and this call brought it back (an 'online' event was written). */
  cameOnline: boolean
}

export interface GpuUpsert {
  gpuIndex?: number | undefined
  uuid?: string | undefined
  model?: string | undefined
  vramMb?: number | undefined
  /** Replaces the stored health when given. */
  health?: GpuHealth | undefined
}

/**
 * Full readings for one GPU (merged by the caller); applied only if `at` is not older than the
 * stored ones. migMode/migInstances left undefined keep their stored values.
 */
export interface GpuReadingUpdate extends GpuReadings, GpuMigState {
  gpuId: number
  status: GpuStatus
  at: number
}

export interface ActivityInput {
  /** Nodes heard from: marked online with last_seen_at = at (an 'online' event if they were offline). */
  seen: Array<{ nodeId: number, at: number, via: string }>
  readings: GpuReadingUpdate[]
}

export type NodeDeleteResult =
  | { deleted: true, node: FleetNode, gpuIds: number[] }
  | { deleted: false, runningJobIds: number[] }

export interface NodeEventQuery {
  /** Inclusive lower bound on `at`. */
  since?: number | undefined
  /** Exclusive upper bound on `at`. */
  until?: number | undefined
  nodeId?: number | undefined
  limit?: number | undefined
}

export interface GpuQuery {
  nodeId?: number | undefined
  clusterId?: number | undefined
  ids?: readonly number[] | undefined
}

export interface FleetRepository {
  /** null when the name is taken (names are unique). */
  createCluster: (input: { name: string, region: string | null, defaultTimeLimitMin?: number | null }, at: number) => Promise<Cluster | null>
  /** Sets what is given; null when there is no such cluster. */
  updateCluster: (id: number, patch: { defaultTimeLimitMin?: number | null }) => Promise<Cluster | null>
  /** Find by name or create; a found cluster without a region takes `region`. */
  ensureCluster: (name: string, region: string | null, at: number) => Promise<Cluster>
  /** Undo a just-created cluster (only while it has no nodes); true if deleted. */
  deleteEmptyCluster: (id: number) => Promise<boolean>
  getCluster: (id: number) => Promise<Cluster | null>
  listClusters: () => Promise<ClusterSummary[]>

  /**
   * Register or heartbeat by hostname (unique fleet-wide): creates the node (a 'registered'
   * event) or updates it, moving it to `clusterId`; either way it is online, seen at `at`.
   */
  upsertNode: (input: NodeUpsert, at: number) => Promise<NodeUpsertResult>
  getNode: (id: number) => Promise<FleetNode | null>
  getNodeByHostname: (hostname: string) => Promise<FleetNode | null>
  listNodes: (filter?: { clusterId?: number | undefined }) => Promise<FleetNode[]>

  /**
   * Idempotent per gpu_index (then uuid) within the node; returns only the records this call
   * created, as they stand after the whole call. See the implementation for the matching rules.
   */
  registerGpus: (nodeId: number, gpus: readonly GpuUpsert[], at: number) => Promise<Gpu[]>
  /** Ordered by node id, then gpu_index. */
  listGpus: (filter?: GpuQuery) => Promise<Gpu[]>

  /** One transaction: marks nodes seen and applies readings. Returns the ids of nodes that came back online. */
  recordActivity: (input: ActivityInput) => Promise<{ cameOnline: number[] }>
  /** Online nodes last seen before `cutoff` go offline, each with one 'offline' event at `at`. */
  markStaleNodesOffline: (cutoff: number, at: number) => Promise<FleetNode[]>
  /** Drain (no new jobs placed there; keeps the first drain's time) or resume; null when there is no such node. */
  setDrained: (id: number, drained: boolean, at: number) => Promise<FleetNode | null>
  /**
   * Removes the node with its GPUs and node events (ended jobs forget it as their node_id; their
   * job_gpus rows stay, so usage stays billable). Refused while a running job holds one of its
   * GPUs; null when there is no such node. Under the scheduling lock: no cycle places a job there meanwhile.
   */
  deleteNode: (id: number) => Promise<NodeDeleteResult | null>
  /** Oldest first (by at, then id). */
  listNodeEvents: (query?: NodeEventQuery) => Promise<NodeEvent[]>
}
