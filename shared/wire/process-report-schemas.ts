import { z } from '@hono/zod-openapi'

/**
 * The control plane's zod mirror of job-execution.ts's ProcessReport (the agent imports the
 * plain types, never this file), and the processes GET /api/jobs/:id shows.
 */

/** A report carries at most this many processes (a node with 8 GPUs runs far fewer). */
export const MAX_REPORTED_PROCESSES = 4096

const noNul = (s: string): boolean => !s.includes('\u0000')
const Id = z.number().int().min(1).max(2_147_483_647)

export const gpuProcessSchema = z.object({
  gpu_uuid: z.string().max(100).regex(/^(GPU|MIG)-[0-9a-fA-F-]+$/, 'must be a GPU-… or MIG-… UUID')
    .openapi({ example: 'GPU-5d8a1e0c-4f0b-2b8a-6b0e-3f6c1a7e9d21' }),
  pid: z.number().int().min(1).max(4_194_304).openapi({ description: 'Linux pid (pid_max is at most 2^22)' }),
  process_name: z.string().max(4096).refine(noNul, 'must not contain NUL').openapi({ example: '/usr/bin/python3' }),
  used_memory_mib: z.number().int().min(0).max(16_777_216).nullable().openapi({ description: 'null: nvidia-smi could not say ([N/A])' }),
  job_id: Id.nullable().openapi({ description: 'The executed job whose session the process belongs to; null: none' }),
  run: z.number().int().min(0).max(8_640_000_000_000_000).nullable().openapi({ description: 'That job\'s run (its started_at in epoch ms)' }),
}).strict()

export const processReportSchema = z.object({
  hostname: z.string().min(1).max(253).refine(noNul, 'must not contain NUL').openapi({ example: 'gpu-node-01' }),
  at: z.iso.datetime({ offset: true }).openapi({ description: 'When the agent read the processes' }),
  processes: z.array(gpuProcessSchema).max(MAX_REPORTED_PROCESSES),
}).strict()
  .refine(r => new Set(r.processes.map(p => `${p.gpu_uuid}/${p.pid}`)).size === r.processes.length,
    { message: 'a (gpu_uuid, pid) pair appears twice', path: ['processes'] })
  .openapi('ProcessReport')

export const processReportAckSchema = z.object({
  ok: z.literal(true),
  node_id: z.number().int(),
  processes: z.number().int().openapi({ description: 'Processes stored' }),
  unallocated: z.number().int(),
  outside_allocation: z.number().int(),
}).openapi('ProcessReportAck')

export const jobProcessSchema = z.object({
  hostname: z.string(),
  gpu_index: z.number().int().nullable(),
  gpu_uuid: z.string(),
  pid: z.number().int(),
  process_name: z.string(),
  used_memory_mib: z.number().int().nullable(),
  seen_at: z.string().openapi({ description: 'When the process was first reported' }),
  outside_allocation: z.boolean().openapi({ description: 'It runs on a GPU outside the job\'s allocation, or is no process of this executed job on its GPU' }),
})
