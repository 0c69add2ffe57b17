import { z } from '@hono/zod-openapi'
import { GPU_STATUSES, JOB_KINDS, PENDING_REASONS } from './enums.ts'
import { queryId, queryInt } from './query-params.ts'

/** The scheduler's log, scheduling metrics and the GPU allocation map on the wire. */

export const logsQuerySchema = z.object({
  limit: queryInt('limit', 1, 100, 'Cycles to return, 1–100 (default 20)', '20'),
})

export const allocationQuerySchema = z.object({
  cluster_id: queryId('cluster_id', 'Only this cluster\'s GPUs'),
})

const reasonCounts = z.object(Object.fromEntries(PENDING_REASONS.map(r => [r, z.number().int()])) as Record<typeof PENDING_REASONS[number], z.ZodNumber>)

export const schedulerCycleSchema = z.object({
  id: z.number().int(),
  started_at: z.string(),
  duration_ms: z.number(),
  trigger: z.string().openapi({ example: 'poke:submit' }),
  processed: z.number().int().openapi({ description: 'Waiting jobs looked at' }),
  started: z.number().int(),
  blocked: z.number().int().openapi({ description: 'Jobs left in status blocked' }),
  waiting: z.record(z.string(), z.number().int()).openapi({ description: 'Jobs left waiting, by typed reason' }),
  started_jobs: z.array(z.record(z.string(), z.unknown())).openapi({ description: 'Jobs started (first 50): GPUs, nodes, wait' }),
  changes: z.array(z.record(z.string(), z.unknown())).openapi({ description: 'Jobs whose status or reason changed (first 50), with the reason they had' }),
  detail: z.record(z.string(), z.unknown()).openapi({ description: 'Free GPUs before/after, nodes reserved for waiting jobs, what was truncated' }),
}).openapi('SchedulerCycle')

export const schedulingMetricsSchema = z.object({
  generated_at: z.string(),
  window_hours: z.literal(24),
  queue_depth: z.object({ total: z.number().int(), queued: z.number().int(), blocked: z.number().int(), by_reason: reasonCounts }),
  running_jobs: z.number().int(),
  wait_times: z.object({
    started_jobs: z.number().int().openapi({ description: 'Jobs started in the window (the sample)' }),
    p50_seconds: z.number().nullable(),
    p95_seconds: z.number().nullable(),
    mean_seconds: z.number().nullable(),
    max_seconds: z.number().nullable(),
    oldest_waiting_seconds: z.number().nullable().openapi({ description: 'Longest current wait among jobs the scheduler will start by itself (QUOTA, CAPACITY, PRIORITY, TENANT_QUEUE, NODE_NOT_REPORTING, NODE_OFFLINE)' }),
    oldest_waiting_job_id: z.number().int().nullable(),
  }),
  throughput_24h: z.object({
    submitted: z.number().int(),
    started: z.number().int(),
    completed: z.number().int(),
    failed: z.number().int(),
    cancelled: z.number().int(),
    completed_per_hour: z.number(),
  }),
  clusters: z.array(z.object({
    cluster_id: z.number().int(),
    cluster_name: z.string(),
    running: z.number().int(),
    queued: z.number().int(),
    blocked: z.number().int(),
    waiting_gpus: z.number().int().openapi({ description: 'GPUs asked for by waiting jobs' }),
    running_gpus: z.number().int(),
  })),
  last_cycle: z.object({
    id: z.number().int(), started_at: z.string(), duration_ms: z.number(), trigger: z.string(), processed: z.number().int(), started: z.number().int(),
  }).nullable().openapi({ description: 'null for a tenant-bound key' }),
}).openapi('SchedulingMetrics')

export const gpuAllocationSchema = z.object({
  generated_at: z.string(),
  total_gpus: z.number().int(),
  allocated_gpus: z.number().int(),
  gpus: z.array(z.object({
    gpu_id: z.number().int(),
    cluster_id: z.number().int(),
    cluster_name: z.string(),
    node_id: z.number().int(),
    hostname: z.string(),
    node_status: z.enum(['online', 'offline']),
    gpu_index: z.number().int(),
    model: z.string().nullable(),
    // unknown: no utilization in the newest reading (MIG GPUs): neither free nor idle.
    status: z.enum(GPU_STATUSES),
    utilization_pct: z.number().nullable(),
    memory_used_mb: z.number().nullable(),
    memory_total_mb: z.number().nullable(),
    updated_at: z.string().nullable(),
    allocated: z.boolean(),
    job: z.object({
      id: z.number().int(), name: z.string(), tenant_id: z.number().int().nullable(), tenant_name: z.string().nullable(),
      kind: z.enum(JOB_KINDS), assigned_at: z.string(),
    }).nullable(),
  })),
}).openapi('GpuAllocation')
