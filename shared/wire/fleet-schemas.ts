import { z } from '@hono/zod-openapi'
import { ErrorBodySchema } from './error-body-schema.ts'
import { GPU_STATUSES } from './enums.ts'
import { MAX_TIME_LIMIT_MIN } from './job-schemas.ts'

/** Response and parameter schemas of the fleet routes (they also document /openapi.json). */

/** The one error shape, with a description naming this route's codes. */
export const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ErrorBodySchema } } })

export const idParamSchema = z.object({
  // Digits only (no "1e3", no "0x1"); 15 digits keeps it a safe integer.
  id: z.string().regex(/^[0-9]{1,15}$/, 'must be a positive integer id').openapi({ param: { name: 'id', in: 'path' }, example: '1' }),
})

const defaultTimeLimit = z.number().int().min(1).max(MAX_TIME_LIMIT_MIN).nullable()
  .openapi({ description: `Minutes a job submitted to the cluster without time_limit_min may run, 1–${MAX_TIME_LIMIT_MIN} (Slurm's DefaultTime); null: no limit`, example: 1440 })

export const createClusterBodySchema = z.object({
  name: z.string().min(1).max(128).openapi({ description: 'Human-readable cluster name (unique)', example: 'us-east-prod' }),
  region: z.string().min(1).max(64).optional().openapi({ description: 'AWS-style region code', example: 'us-east-1' }),
  default_time_limit_min: defaultTimeLimit.optional(),
})

export const updateClusterBodySchema = z.object({
  default_time_limit_min: defaultTimeLimit,
}).strict().openapi('UpdateCluster')

export const clusterSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  region: z.string().nullable(),
  status: z.enum(['active']),
  created_at: z.string(),
  default_time_limit_min: z.number().int().nullable().openapi({ description: 'Minutes a job submitted without time_limit_min may run (null: no limit)' }),
})

export const clusterSummarySchema = clusterSchema.extend({
  node_count: z.number().int(),
  gpu_count: z.number().int(),
  active_jobs: z.number().int(),
  queued_jobs: z.number().int(),
}).openapi('ClusterSummary')

export const clusterCreatedSchema = clusterSummarySchema.extend({
  api_key: z.string().openapi({ description: 'Ingest-scoped key for this cluster\'s agents; shown once' }),
  api_key_prefix: z.string(),
}).openapi('ClusterCreated')

export const gpuSchema = z.object({
  id: z.number().int(),
  node_id: z.number().int(),
  gpu_index: z.number().int(),
  uuid: z.string().nullable(),
  model: z.string().nullable(),
  vram_mb: z.number().nullable(),
  status: z.enum(GPU_STATUSES).openapi({
    description: 'active above 10 % utilization, else idle (seed 003); unknown when the newest reading has no utilization ' +
      '(MIG-enabled GPUs report none) or there is no reading yet: never scheduled, never counted idle',
  }),
  utilization_pct: z.number().nullable(),
  memory_used_mb: z.number().nullable(),
  memory_total_mb: z.number().nullable(),
  temperature_c: z.number().nullable(),
  power_draw_w: z.number().nullable(),
  updated_at: z.string().nullable(),
  created_at: z.string(),
  mig_mode: z.enum(['Enabled', 'Disabled']).nullable().openapi({ description: 'nvidia-smi mig.mode.current; null when not reported' }),
  mig_instances: z.array(z.object({
    gpu_instance_id: z.number().int(),
    compute_instance_id: z.number().int().nullable(),
    profile: z.string().nullable().openapi({ example: '1g.10gb' }),
    uuid: z.string().nullable().openapi({ example: 'MIG-00000002-0000-0000-0000-000000000002' }),
    memory_total_mb: z.number().nullable(),
    memory_used_mb: z.number().nullable(),
  })).nullable().openapi({ description: 'MIG devices as the agent last reported them (null: not a MIG GPU, or not reported)' }),
  health: z.object({
    xid_count: z.number().int().nullable(),
    xid_last: z.number().int().nullable(),
    xid_last_at: z.string().nullable(),
    remapped_rows_correctable: z.number().int().nullable(),
    remapped_rows_uncorrectable: z.number().int().nullable(),
    remapped_rows_pending: z.boolean().nullable(),
    remapped_rows_failure: z.boolean().nullable(),
    reported_at: z.string().openapi({ description: 'When the agent last reported health (with its GPU registration)' }),
  }).optional().openapi({ description: 'Xid errors from the host\'s kernel log and the row remapper, as the agent last reported them; absent until it has' }),
}).openapi('Gpu')

export const nodeSchema = z.object({
  id: z.number().int(),
  cluster_id: z.number().int(),
  hostname: z.string(),
  ip_address: z.string().nullable(),
  total_gpus: z.number().int().nullable(),
  cpu_cores: z.number().int().nullable(),
  ram_gb: z.number().int().nullable(),
  agent_url: z.string().nullable(),
  status: z.enum(['online', 'offline']),
  last_seen_at: z.string().nullable(),
  registered_at: z.string(),
}).openapi('Node')

/** A node as the cluster detail and the node routes show it (registration answers the seed's shape). */
export const nodeDetailSchema = nodeSchema.extend({
  drained_at: z.string().nullable().openapi({ description: 'Set while the node is drained (POST /api/nodes/{id}/drain): no new jobs are placed on it' }),
}).openapi('NodeDetail')

export const deletedNodeSchema = nodeDetailSchema.extend({
  deleted_gpu_ids: z.array(z.number().int()),
  resolved_alert_event_ids: z.array(z.number().int()),
}).openapi('DeletedNode')

export const clusterDetailSchema = clusterSummarySchema.extend({
  nodes: z.array(nodeDetailSchema.extend({ gpus: z.array(gpuSchema) })),
  recent_jobs: z.array(z.unknown()),
}).openapi('ClusterDetail')

export const registeredNodeSchema = nodeSchema.extend({
  cluster_name: z.string(),
  created: z.boolean().openapi({ description: 'true when this call created the node' }),
  operator_token_key: z.object({
    kid: z.string(), kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: z.string(), alg: z.literal('EdDSA'), use: z.literal('sig'),
  }).optional().openapi({ description: 'The public key (JWK) operator tokens are signed with; the agent pins it (docs/api.md "Operator tokens")' }),
}).openapi('RegisteredNode')

export const metricsBodySchema = z.object({
  metrics: z.array(z.unknown()).max(10000).openapi({
    description: 'Rows of MetricRow. Each row is checked on its own: a malformed or out-of-range row is skipped and listed in `skipped` (seed 000 fail-soft).',
  }),
})

export const metricsResultSchema = z.object({
  ok: z.literal(true),
  updated: z.number().int(),
  skipped: z.array(z.object({ index: z.number().int(), gpu_id: z.number().int().nullable(), reason: z.string() })),
}).openapi('MetricsResult')
