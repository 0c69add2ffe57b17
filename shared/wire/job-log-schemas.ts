import { z } from '@hono/zod-openapi'
import { MAX_LOG_TAIL_LINES } from './job-logs.ts'

/** `POST /api/agent/jobs/:id/logs` query: who uploads, which run, where the chunk starts. */
export const logUploadQuerySchema = z.object({
  hostname: z.string().min(1).max(253).openapi({ param: { name: 'hostname', in: 'query' }, description: 'The uploading agent\'s node', example: 'gpu-node-01' }),
  run: z.string().regex(/^[0-9]{1,15}$/, 'must be an integer').openapi({ param: { name: 'run', in: 'query' }, description: 'The job\'s run (its started_at in epoch ms, from the assignment)' }),
  offset: z.string().regex(/^[0-9]{1,15}$/, 'must be an integer').openapi({ param: { name: 'offset', in: 'query' }, description: 'Where the chunk starts in the run\'s log (bytes)' }),
})

export const logUploadResultSchema = z.object({
  ok: z.literal(true),
  offset: z.number().int().openapi({ description: 'Bytes held for the run now: where the next chunk starts' }),
}).openapi('LogUploadResult')

/** `GET /api/jobs/:id/logs` query. */
export const jobLogQuerySchema = z.object({
  tail: z.string()
    .regex(/^[0-9]{1,5}$/, 'must be an integer')
    .refine(s => Number(s) >= 1 && Number(s) <= MAX_LOG_TAIL_LINES, `must be an integer from 1 to ${MAX_LOG_TAIL_LINES}`)
    .optional()
    .openapi({ param: { name: 'tail', in: 'query' }, description: 'Only the last N lines (default: everything retained)', example: '100' }),
  follow: z.enum(['1', '0', 'true', 'false']).optional()
    .openapi({ param: { name: 'follow', in: 'query' }, description: '1: keep the response open and stream new output until the job has ended' }),
})
