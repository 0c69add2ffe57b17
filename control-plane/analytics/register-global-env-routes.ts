import { createRoute, z } from '@hono/zod-openapi'
import { httpError } from '../../shared/error-codes.ts'
import { API_KEY_SECURITY } from '../http/api-key-security.ts'
import { errorResponses } from '../http/error-responses.ts'
import { adminOnly } from './admin-only.ts'
import type { AnalyticsApp, AnalyticsContext } from './analytics-context.ts'
import { globalEnvEntrySchema, globalEnvKeyParamSchema, globalEnvPutSchema } from '../../shared/wire/analytics-schemas.ts'
import { GLOBAL_ENV_KEYS } from './global-env-keys.ts'
import { iso } from './render-records.ts'

/** Seed 001: GET /v1/global-env → [{ key, value }], and PUT /v1/global-env/{key} to set one (admin). */
export function registerGlobalEnvRoutes (app: AnalyticsApp, ctx: AnalyticsContext): void {
  const { repo, requireScope, now, log } = ctx
  const admin = adminOnly(requireScope)

  app.openapi(createRoute({
    method: 'get',
    path: '/v1/global-env',
    tags: ['Analytics'],
    summary: 'Global settings as [{ key, value }]; ANALYTICS_SOURCE_ALIASES holds the source → label map (admin)',
    security: API_KEY_SECURITY,
    middleware: [adminOnly(requireScope, [])] as const,
    responses: {
      200: { description: 'Every known key, with its default value when never set', content: { 'application/json': { schema: z.array(globalEnvEntrySchema) } } },
      ...errorResponses(401),
      403: { description: 'Not an admin: an empty array (seed 001: "403 and an empty result"), the code in X-Error-Code', content: { 'application/json': { schema: z.array(globalEnvEntrySchema).max(0) } } },
    },
  }), async c => {
    const stored = new Map((await repo.listGlobalEnv()).map(e => [e.key, e]))
    return c.json(Object.entries(GLOBAL_ENV_KEYS).map(([key, spec]) => {
      const e = stored.get(key)
      return { key, value: e?.value ?? spec.defaultValue, updated_at: iso(e?.updatedAt ?? null) }
    }), 200)
  })

  app.openapi(createRoute({
    method: 'put',
    path: '/v1/global-env/{key}',
    tags: ['Analytics'],
    summary: 'Set one global setting (admin). ANALYTICS_SOURCE_ALIASES: a JSON object of string → string',
    security: API_KEY_SECURITY,
    middleware: [admin] as const,
    request: { params: globalEnvKeyParamSchema, body: { required: true, content: { 'application/json': { schema: globalEnvPutSchema } } } },
    responses: {
      200: { description: 'Stored', content: { 'application/json': { schema: globalEnvEntrySchema } } },
      ...errorResponses(400, 401, 403, 413, 415),
    },
  }), async c => {
    const { key } = c.req.valid('param')
    const spec = GLOBAL_ENV_KEYS[key]
    if (spec === undefined || !Object.hasOwn(GLOBAL_ENV_KEYS, key)) {
      throw httpError('UNKNOWN_ENV_KEY', `unknown global-env key "${key.slice(0, 64)}"`, { known_keys: Object.keys(GLOBAL_ENV_KEYS) })
    }
    const value = spec.normalize(c.req.valid('json').value)
    const entry = await repo.setGlobalEnv(key, value, now())
    log.info({ key, bytes: value.length, keyId: c.get('principal')?.keyId ?? null }, 'global env set')
    return c.json({ key: entry.key, value: entry.value, updated_at: iso(entry.updatedAt) }, 200)
  })
}
