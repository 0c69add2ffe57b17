import { z } from '@hono/zod-openapi'

/** The one error shape (shared/http-error.ts) as an OpenAPI schema, for route docs. */
export const ErrorBodySchema = z.object({
  statusCode: z.number().int(),
  code: z.string().openapi({ example: 'VALIDATION_FAILED' }),
  error: z.string(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
}).openapi('Error')
