import { z } from '@hono/zod-openapi'

/** An optional integer query parameter from min to max (a query value is a string on the wire). */
export const queryInt = (name: string, min: number, max: number, description: string, example?: string) => z.string()
  .regex(/^[0-9]{1,9}$/, 'must be an integer')
  .refine(s => Number(s) >= min && Number(s) <= max, `must be an integer from ${min} to ${max}`)
  .optional()
  .openapi({ param: { name, in: 'query' }, description, ...(example === undefined ? {} : { example }) })

/** An optional row id query parameter: a positive 32-bit integer. */
export const queryId = (name: string, description: string) => z.string()
  .regex(/^[0-9]{1,10}$/, 'must be a positive integer id')
  .refine(s => Number(s) >= 1 && Number(s) <= 2_147_483_647, 'must be a positive integer id')
  .optional()
  .openapi({ param: { name, in: 'query' }, description })
