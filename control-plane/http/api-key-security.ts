import type { OpenAPIHono } from '@hono/zod-openapi'

/**
 * OpenAPI `security` for routes behind an API key: either scheme satisfies it (seed 000
 * accepts Authorization: Bearer or x-api-key). Put it on each createRoute({ security }).
 */
export const API_KEY_SECURITY: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { apiKeyHeader: [] }]

/** Declares the two schemes API_KEY_SECURITY names, once, on the app that serves /openapi.json. */
export function registerApiKeySecuritySchemes (app: OpenAPIHono<any>): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http', scheme: 'bearer', description: 'Authorization: Bearer gfk_…',
  })
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKeyHeader', {
    type: 'apiKey', in: 'header', name: 'x-api-key', description: 'x-api-key: gfk_…',
  })
}
