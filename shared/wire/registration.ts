import { z } from 'zod'
import { NODE_CLAIM_BOUNDS as B } from './node-claim-bounds.ts'

/**
 * Seed 003 `POST /api/clusters/nodes`, extended: an agent knows its cluster by name
 * (`--cluster`), so it may send `cluster_name` (+ `region`) instead of `cluster_id`; the
 * control plane finds or creates that cluster. Idempotent by hostname; doubles as heartbeat.
 */
export const nodeRegistrationSchema = z.object({
  cluster_id: z.number().int().positive().optional(),
  cluster_name: z.string().min(1).max(128).optional(),
  region: z.string().min(1).max(64).optional(),
  hostname: z.string().min(1).max(253),
  ip_address: z.string().max(64).optional(),
  // Bounded (node-claim-bounds.ts): what a node claims feeds capacity and routing.
  total_gpus: z.number().int().min(0).max(B.gpusPerNode).optional(),
  cpu_cores: z.number().int().min(0).max(B.cpuCores).optional(),
  ram_gb: z.number().int().min(0).max(B.ramGb).optional(),
  agent_url: z.string().url().max(2048).optional(),
}).refine(b => b.cluster_id !== undefined || b.cluster_name !== undefined, {
  message: 'cluster_id or cluster_name is required',
  path: ['cluster_id'],
})
export type NodeRegistration = z.infer<typeof nodeRegistrationSchema>

/**
 * What the agent knows of a GPU's health beyond the 1 Hz samples: Xid errors from the kernel
 * log (null: none seen, or the log is not readable) and the row remapper's state. Sent with
 * the GPU registration, again whenever it changes; the control plane's health_degraded reads it.
 */
export const gpuHealthSchema = z.object({
  xid_count: z.number().int().min(0).nullable(),
  xid_last: z.number().int().min(0).max(100000).nullable(),
  xid_last_at: z.iso.datetime({ offset: true }).nullable(),
  remapped_rows_correctable: z.number().int().min(0).nullable(),
  remapped_rows_uncorrectable: z.number().int().min(0).nullable(),
  remapped_rows_pending: z.boolean().nullable(),
  remapped_rows_failure: z.boolean().nullable(),
}).partial()
export type GpuHealth = z.infer<typeof gpuHealthSchema>

/** Seed 003 `POST /api/clusters/gpus`, extended with `uuid` and `health` (idempotent per gpu_index). */
export const gpuRegistrationSchema = z.object({
  node_id: z.number().int().positive(),
  gpus: z.array(z.object({
    gpu_index: z.number().int().min(0).max(255).optional(),
    uuid: z.string().max(128).optional(),
    model: z.string().max(128).optional(),
    vram_mb: z.number().int().min(0).max(B.gpuMemoryMb).optional(),
    health: gpuHealthSchema.optional(),
  })).max(B.gpusPerNode),
})
export type GpuRegistration = z.infer<typeof gpuRegistrationSchema>

/** What the agent needs back from node registration (the seed returns the node record). */
export interface RegisteredNode {
  id: number
  cluster_id: number
  hostname: string
}

export { NODES_PATH, GPUS_PATH } from './paths.ts'
