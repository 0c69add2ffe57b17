import { z } from '@hono/zod-openapi'
import { GPU_STATUSES } from './enums.ts'

/** Response schemas of the dashboard routes (they document /openapi.json). */

const int = () => z.number().int()
const iso = () => z.string().openapi({ example: '2026-05-09T00:30:00.000Z' })

export const kpisSchema = z.object({
  fleet_utilization: z.object({
    percentage: z.number().openapi({ example: 73.6 }),
    active_gpus: int().openapi({ example: 26 }),
    total_gpus: int().openapi({ example: 36 }),
    status: z.enum(['good', 'warning', 'critical']),
    unknown_gpus: int().openapi({
      example: 0,
      description: 'GPUs on online nodes whose fresh reading has no utilization (MIG-enabled GPUs) or that have no fresh reading: ' +
        'neither active nor idle, so left out of percentage',
    }),
  }),
  revenue_leakage: z.object({
    percentage: z.number().openapi({ example: 12.4 }),
    idle_allocated_gpus: int().openapi({ example: 5 }),
    direction: z.enum(['up', 'down', 'flat']),
  }),
  quota_utilization: z.object({
    percentage: z.number().openapi({ example: 68.4 }),
    gpus_in_use: int().openapi({ example: 26 }),
    total_quota: int().openapi({ example: 38 }),
    tenants: z.array(z.object({ tenant_id: int(), name: z.string(), gpus_in_use: int(), gpu_quota: int(), percentage: z.number() }))
      .openapi({ description: 'Per-tenant breakdown (active tenants)' }),
  }),
  fleet_health: z.object({
    healthy: int().openapi({ example: 26 }),
    total: int().openapi({ example: 36 }),
    status: z.enum(['healthy', 'has_issues']),
  }),
  active_jobs: z.object({ running: int(), queued: int(), blocked: int() }),
}).openapi('DashboardKpis')

const jobSchema = z.object({
  id: int(), name: z.string(), status: z.string(), tenant_id: int().nullable(), tenant_name: z.string().nullable(),
  cluster_id: int(), gpu_count: int(), gpu_type: z.string().nullable(), priority: int(), pending_reason: z.string().nullable(),
  block_reason: z.string().nullable(), submitted_at: iso().nullable(), started_at: iso().nullable(), ended_at: iso().nullable(),
})

const n = () => z.number().nullable()

export const overviewSchema = z.object({
  generated_at: iso(),
  summary: z.object({
    clusters: int(), nodes: int(), nodes_online: int(), nodes_offline: int(), gpus: int(), gpus_active: int(),
    gpus_allocated: int(), gpus_stale: int(), avg_utilization_pct: n(), avg_temperature_c: n(), power_draw_w: z.number(),
    jobs: z.object({ running: int(), queued: int(), blocked: int() }), active_alerts: int(),
  }),
  clusters: z.array(z.object({
    id: int(), name: z.string(), region: z.string().nullable(), status: z.string(),
    nodes: z.array(z.object({
      id: int(), hostname: z.string(), status: z.enum(['online', 'offline']), last_seen_at: iso().nullable(), total_gpus: int().nullable(),
      drained_at: iso().nullable().openapi({ description: 'Set while the node is drained (POST /api/nodes/{id}/drain)' }),
      gpus: z.array(z.object({
        id: int(), gpu_index: int(), model: z.string().nullable(), status: z.enum(GPU_STATUSES), utilization_pct: n(),
        memory_used_mb: n(), memory_total_mb: n(), temperature_c: n(), power_draw_w: n(), ecc_errors_uncorrected: n(),
        updated_at: iso().nullable(), fresh: z.boolean(), job_id: int().nullable(), tenant_id: int().nullable(),
        mig_mode: z.enum(['Enabled', 'Disabled']).nullable(),
        mig_instances: z.array(z.object({
          gpu_instance_id: int(), compute_instance_id: int().nullable(), profile: z.string().nullable(), uuid: z.string().nullable(),
          memory_total_mb: n(), memory_used_mb: n(),
        })).nullable(),
      })),
    })),
  })),
  recent_jobs: z.array(jobSchema),
}).openapi('DashboardOverview')

export const leakageSchema = z.object({
  generated_at: iso(),
  windows: z.object({
    idle_minutes: int(), idle_below_pct: z.number(), underutilized_hours: int(), underutilized_below_pct: z.number(),
    billing_gap_pct: z.number(), billing_lookback_days: int(),
  }),
  idle_allocated_gpus: z.array(z.object({
    gpu_id: int(), node_id: int(), hostname: z.string(), gpu_index: int(), model: z.string().nullable(), job_id: int(), job_name: z.string(),
    tenant_id: int().nullable(), tenant_name: z.string().nullable(), allocated_since: iso(), mean_utilization_pct: z.number(), samples: int(),
    rate_per_gpu_hour: n(), estimated_loss_usd: n(),
  })),
  billing_gaps: z.array(z.object({
    invoice_id: int(), tenant_id: int(), tenant_name: z.string().nullable(), invoice_status: z.string(), period_start: iso(), period_end: iso(),
    metered_gpu_hours: z.number(), unpriced_gpu_hours: z.number(), metered_amount: z.number(), billed_amount: z.number(),
    discrepancy_pct: z.number(), direction: z.enum(['under_billed', 'over_billed']), estimated_loss_usd: z.number(),
  })),
  underutilized_tenants: z.array(z.object({
    tenant_id: int(), tenant_name: z.string(), gpu_hours: z.number(), mean_utilization_pct: z.number(), samples: int(),
    cost_usd: z.number(), estimated_loss_usd: z.number(),
  })),
  unallocated_gpu_use: z.array(z.object({
    kind: z.enum(['unallocated', 'outside_allocation']), node_id: int(), hostname: z.string(), gpu_id: int().nullable(),
    gpu_index: int().nullable(), gpu_uuid: z.string(), pid: int(), process_name: z.string(), used_memory_mib: int().nullable(),
    job_id: int().nullable(), tenant_id: int().nullable(), since: iso(),
  })).openapi({ description: 'GPU processes on GPUs no running job holds (unallocated), or a job\'s processes outside its allocation, as the agents last reported them (nodes silent for over 2 min left out); not in the totals' }),
  totals: z.object({ idle_allocated_gpus: int(), billing_gaps: int(), underutilized_tenants: int(), estimated_loss_usd: z.number() }),
}).openapi('DashboardLeakage')
