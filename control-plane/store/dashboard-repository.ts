import type { GpuMigState, GpuStatus } from './fleet-repository.ts'
import type { Rate } from '../match-rate.ts'
import type { GpuHealth } from './fleet-repository.ts'

/**
 * Read-only queries across domains (fleet, telemetry, tenants, jobs, billing) for the
 * dashboards and the alert rules: the store is the one place SQL lives, so reads that join
 * other domains' tables live here and write nothing. Async so SQLite and PostgreSQL serve the
 * same interface. Times are UTC epoch milliseconds, money integer cents.
 *
 * Telemetry rows name a GPU by (node_id, gpu_id = the GPU's index on its node), the fleet by
 * gpus.id; these queries join the two on (node_id, gpu_index).
 */

/** A GPU held now by a running job (an open job_gpus row). */
export interface HeldGpu {
  gpuId: number
  nodeId: number
  gpuIndex: number
  hostname: string
  clusterId: number
  model: string | null
  jobId: number
  jobName: string
  tenantId: number | null
  tenantName: string | null
  assignedAt: number
}

/** A job's hold of a GPU within a window, clipped to it (ended jobs' holds included). */
export interface HoldSpan {
  jobId: number
  gpuId: number
  nodeId: number
  gpuIndex: number
  tenantId: number | null
  /** The model the hold was metered at (else the GPU's). */
  gpuModel: string | null
  fromAt: number
  toAt: number
}

/** Utilization of a held GPU from its raw samples in [max(from, assignedAt), to). */
export interface HeldGpuUtilization extends HeldGpu {
  /** Samples with a utilization reading. */
  samples: number
  meanPct: number | null
  /** The highest per-UTC-minute mean: below X means every minute averaged below X. */
  busiestMinutePct: number | null
  /**
   * Minutes with samples but no utilization in any of them (MIG GPUs report [N/A]): while
   * there is one, nobody can say the GPU was idle in the window.
   */
  unknownMinutes: number
}

/** GPU-minutes held by jobs in a window that have samples, and how many of them averaged below the idle line. */
export interface AllocatedMinutes {
  gpuMinutes: number
  idleGpuMinutes: number
}

export interface TenantQuota {
  tenantId: number
  name: string
  status: 'active' | 'inactive'
  gpuQuota: number
  /** GPUs held now by the tenant's running jobs. */
  gpusInUse: number
}

/** One GPU as the fleet knows it now, with its newest telemetry sample's ECC count and its holder. */
export interface GpuState extends GpuMigState {
  gpuId: number
  nodeId: number
  gpuIndex: number
  clusterId: number
  hostname: string
  nodeStatus: 'online' | 'offline'
  model: string | null
  status: GpuStatus
  utilizationPct: number | null
  memoryUsedMb: number | null
  memoryTotalMb: number | null
  temperatureC: number | null
  powerDrawW: number | null
  /** Time of the live readings (null until the first). */
  updatedAt: number | null
  /** Uncorrectable ECC errors in the newest raw sample (null: not reported, or no sample). */
  eccUncorrected: number | null
  /** Xid errors and the row remapper, as the agent last reported them with the GPU registration. */
  health: GpuHealth
  sampleAt: number | null
  jobId: number | null
  tenantId: number | null
}

export interface JobCounts {
  running: number
  queued: number
  blocked: number
}

export interface JobSummary {
  id: number
  name: string
  status: string
  pendingReason: string | null
  blockReason: string | null
  tenantId: number | null
  tenantName: string | null
  clusterId: number
  gpuCount: number
  gpuType: string | null
  priority: number
  submittedAt: number
  startedAt: number | null
  endedAt: number | null
}

/** GPU time by model, the unit metering prices. */
export interface ModelUsage {
  gpuModel: string | null
  gpuSeconds: number
}

/** What a tenant's jobs held in a window, and how busy those GPUs were meanwhile. */
export interface TenantUtilization {
  tenantId: number
  name: string
  usage: ModelUsage[]
  samples: number
  meanPct: number | null
}

export interface InvoiceRecord {
  id: number
  tenantId: number
  tenantName: string | null
  periodStart: number
  periodEnd: number
  amountCents: number
  totalGpuSeconds: number
  status: string
}

export interface DashboardRepository {
  /** Every GPU held now by a running job, with its utilization over [from, to); ordered by gpu id. */
  heldGpuUtilization: (fromMs: number, toMs: number, filter?: { tenantId?: number | undefined }) => Promise<HeldGpuUtilization[]>
  /**
   * Held GPU-minutes in [from, to) (any job, ended ones included) and those whose mean utilization was below `idleBelowPct`;
   * the first `graceMs` of each hold (default 0) are left out.
   */
  allocatedMinutes: (fromMs: number, toMs: number, idleBelowPct: number, graceMs?: number) => Promise<AllocatedMinutes>
  /** Every tenant, ordered by id. */
  tenantQuotas: () => Promise<TenantQuota[]>
  /** Every GPU, ordered by node id then index. */
  gpuStates: () => Promise<GpuState[]>
  jobCounts: () => Promise<JobCounts>
  /** Newest submissions first. */
  recentJobs: (limit: number) => Promise<JobSummary[]>
  /** Per tenant whose jobs held GPUs in [from, to) (a hold still open counts up to `to`); ordered by tenant id. */
  tenantUtilization: (fromMs: number, toMs: number, filter?: { tenantId?: number | undefined }) => Promise<TenantUtilization[]>
  /** GPU time a tenant's jobs held in [from, to), by model (`now` closes still-open holds). */
  meteredUsage: (tenantId: number, fromMs: number, toMs: number, nowMs: number) => Promise<ModelUsage[]>
  /** Invoices of tenants whose period ended at or after `periodEndFrom`, ordered by id. */
  invoices: (periodEndFrom: number, filter?: { tenantId?: number | undefined }) => Promise<InvoiceRecord[]>
  /** The rate card. */
  rates: () => Promise<Rate[]>
  /**
   * The holds alone, for a telemetry engine outside SQL (store/vm/) to join with its samples:
   * every GPU held now by a running job (optionally one tenant's), ordered by gpu id ...
   */
  heldGpus: (filter?: { tenantId?: number | undefined }) => Promise<HeldGpu[]>
  /** ... and every hold overlapping [from, to), clipped to it (`tenantsOnly`: jobs with a tenant). */
  holdsInWindow: (fromMs: number, toMs: number, filter?: { tenantId?: number | undefined, tenantsOnly?: boolean }) => Promise<HoldSpan[]>
}
