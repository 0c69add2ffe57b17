import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import { API_KEY_SECURITY } from '../http/api-key-security.ts'
import type { CpEnv } from '../http/cp-env.ts'
import { errorResponses } from '../http/error-responses.ts'
import type { BillingRouterDeps } from './billing-router-deps.ts'
import { gpuTypeParamSchema, putRateBodySchema, rateSchema } from '../../shared/wire/billing-schemas.ts'
import { rateJson } from './render-billing.ts'
import { denyTenantKeys } from './tenant-access.ts'

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } })

/** Seed 003 "GET /api/rates" (the card, $/GPU-hour per model) and an admin edit of one rate. */
export function registerRateRoutes (app: OpenAPIHono<CpEnv>, deps: BillingRouterDeps): void {
  const { store, requireScope, now, log } = deps

  app.openapi(createRoute({
    method: 'get', path: '/api/rates', tags: ['billing'], security: API_KEY_SECURITY, middleware: [requireScope('read')] as const,
    description: 'GPU rate card: dollars per GPU-hour per model (seed 003: H100 $4.76, A100 $2.21, A6000 $1.28; plus B200). ' +
      'A rate applies to every GPU whose model name contains its gpu_type as a whole token, case-insensitive.',
    responses: { 200: json(z.array(rateSchema), 'The rate card, by gpu_type'), ...errorResponses(401, 403) },
  }), async c => c.json((await store.billing.listRates()).map(rateJson), 200))

  app.openapi(createRoute({
    method: 'put', path: '/api/rates/{gpu_type}', tags: ['billing'], security: API_KEY_SECURITY,
    middleware: [requireScope('admin'), denyTenantKeys('change rates')] as const,
    description: 'Set (or add) the rate for a GPU type, in dollars (price_per_hour) or cents (cents_per_gpu_hour). Admin scope; ' +
      'tenant-bound keys are refused (403). gpu_type is stored upper-case. Applies to usage and revenue at once and to invoices ' +
      'made from now on; existing invoices keep the rates they were made with.',
    request: { params: gpuTypeParamSchema, body: { required: true, content: { 'application/json': { schema: putRateBodySchema } } } },
    responses: { 200: json(rateSchema, 'Rate updated'), 201: json(rateSchema, 'Rate added'), ...errorResponses(400, 401, 403, 415) },
  }), async c => {
    const gpuType = c.req.valid('param').gpu_type.toUpperCase()
    const body = c.req.valid('json')
    const cents = body.cents_per_gpu_hour ?? Math.round((body.price_per_hour ?? 0) * 100)
    const { rate, created } = await store.billing.putRate(gpuType, cents, now())
    log.info({ gpuType, centsPerGpuHour: cents, keyId: c.get('principal').keyId, created }, 'rate set')
    return c.json(rateJson(rate), created ? 201 : 200)
  })
}
