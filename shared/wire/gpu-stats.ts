import { z } from 'zod'
import { MAX_GPU_ID, WIRE_GPU_FIELDS, type GpuField, type GpuWireName } from '../gpu-fields.ts'

type Reading = z.ZodOptional<z.ZodNullable<z.ZodNumber>>

/** A reading's schema from its table row: the hardware's range, or the tighter ingest bound. */
function readingSchema (f: GpuField): Reading {
  let n = z.number()
  if (f.range?.int === true) n = n.int()
  n = n.min(f.range?.min ?? 0)
  const max = f.wireMax ?? f.range?.max
  // .int() already bounds a count to the safe integers.
  if (max !== undefined && max < Number.MAX_SAFE_INTEGER) n = n.max(max)
  return n.nullish()
}

/** One schema per reading of shared/gpu-fields.ts that travels, by its wire name. */
const READINGS = Object.fromEntries(WIRE_GPU_FIELDS.map(f => [f.wire, readingSchema(f)])) as { [K in GpuWireName]: Reading }

/**
 * Seed 000's `POST /api/gpu-stats` row, extended (never renamed) for a fleet: the agent adds
 * `recorded_at` (its own sample time, so spooled rows replay with their original time),
 * identity (uuid, pci_bus_id) and the extra readings dcgm users expect. The readings and
 * their ranges come from shared/gpu-fields.ts (seed 000's five with the seed's ranges); a
 * row with any field out of range is skipped by the server (fail-soft per row). All are
 * nullable: a missing reading is null, never 0. Units follow nvidia-smi: MiB for memory (the
 * seed calls them mb), W, °C, MHz, %.
 */
export const gpuStatRowSchema = z.object({
  gpu_id: z.number().int().min(0).max(MAX_GPU_ID),
  name: z.string().max(64),
  ...READINGS,
  // Extensions (all optional).
  recorded_at: z.iso.datetime({ offset: true }).optional(),
  uuid: z.string().max(128).nullish(),
  pci_bus_id: z.string().max(64).nullish(),
  // Why readings are missing (the GPU fell off the bus) or null (a value that was a fault such
  // as `[GPU requires reset]`); absent when every value was a reading.
  fault: z.string().max(500).nullish(),
})

/** One MIG device in a row's `mig_instances` (snake_case of the agent's MIG read). */
export const migInstanceRowSchema = z.object({
  gpu_instance_id: z.number().int().min(0).max(1024),
  compute_instance_id: z.number().int().min(0).max(1024).nullable(),
  profile: z.string().max(64).nullable(),
  uuid: z.string().max(128).nullable(),
  memory_total_mb: z.number().min(0).nullable(),
  memory_used_mb: z.number().min(0).nullable(),
})
export type MigInstanceRow = z.infer<typeof migInstanceRowSchema>

/**
 * MIG extensions of a row, validated apart from the seed's fields only when present (so the
 * ingest fast path for every other row stays as it is). A row whose MIG part is malformed is
 * skipped like any other invalid row. `mig_instances` null: MIG on but the devices not read yet.
 */
export const gpuStatRowMigSchema = z.object({
  mig_mode: z.enum(['Enabled', 'Disabled']).nullish(),
  mig_instances: z.array(migInstanceRowSchema).max(64).nullish(),
})
export type GpuStatRowMig = z.infer<typeof gpuStatRowMigSchema>

export type GpuStatRow = z.infer<typeof gpuStatRowSchema> & GpuStatRowMig

/** Who is pushing: present on agent pushes, absent on the seed's single-host reporter. */
export const ingestNodeSchema = z.object({
  hostname: z.string().min(1).max(253),
  cluster: z.string().min(1).max(128).optional(),
  region: z.string().min(1).max(64).optional(),
  node_id: z.number().int().positive().optional(),
  agent_version: z.string().max(64).optional(),
})
export type IngestNode = z.infer<typeof ingestNodeSchema>

/**
 * The whole ingest body. `gpus` is required (seed: 400 without it) and is validated row by
 * row on the server, so the schema for the envelope keeps rows as unknown. A batch holds
 * rows of several ticks, each with its own `recorded_at`; the server stores one row per
 * (node, gpu_id, recorded_at), so re-sending a batch is harmless.
 */
export const gpuStatsIngestSchema = z.object({
  node: ingestNodeSchema.optional(),
  gpus: z.array(z.unknown()),
})
export type GpuStatsIngest = { node?: IngestNode, gpus: GpuStatRow[] }

export { GPU_STATS_PATH } from './paths.ts'
