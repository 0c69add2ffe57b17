import { z } from '@hono/zod-openapi'
import { SCOPES } from './introspect.ts'

/**
 * Seed 003 "API Keys" on the wire: snake_case, times ISO 8601 (stored as epoch ms). The raw
 * key appears only in the create response; the hash never appears at all.
 */

// Tenant ids are positive 32-bit integers (PostgreSQL `integer`): a larger one is a mistake.
const TenantId = z.number().int().min(1).max(2_147_483_647)
const ClusterId = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER)
const Scope = z.enum(SCOPES)
const Iso = z.string().openapi({ example: '2026-05-09T00:30:00.000Z' })

export const DEFAULT_PERMISSIONS = ['read', 'write'] as const

export const CreateApiKeyBody = z.object({
  label: z.string().min(1).max(128)
    .refine(s => s.trim() !== '', 'label must not be blank')
    .openapi({ example: 'prod-metrics-ingestor' }),
  tenant_id: TenantId.nullable().optional().openapi({ description: 'Bind the key to one tenant (it then sees only that tenant).' }),
  permissions: z.array(Scope).min(1).max(SCOPES.length * 2).optional()
    .openapi({ description: `Scopes (default ${JSON.stringify(DEFAULT_PERMISSIONS)}, or ["ingest"] with cluster_id); only a superadmin may grant superadmin.`, example: ['read', 'write'] }),
  cluster_id: ClusterId.nullable().optional()
    .openapi({ description: 'Bind an agent key (permissions exactly ["ingest"]) to this cluster: it registers and pushes for that cluster\'s nodes only. Without it an ingest key is unbound (acts for any cluster).' }),
}).strict().openapi('CreateApiKeyRequest')

export const ApiKeyIdParam = z.object({
  id: z.string().regex(/^[1-9][0-9]{0,14}$/, 'id must be a positive integer')
    .openapi({ param: { name: 'id', in: 'path' }, example: '3' }),
})

export const ApiKeySchema = z.object({
  id: z.number().int(),
  key_prefix: z.string().openapi({ example: 'gfk_a3f8b1c2' }),
  label: z.string(),
  permissions: z.array(Scope),
  tenant_id: z.number().int().nullable(),
  cluster_id: z.number().int().nullable().openapi({ description: 'The cluster an agent key is bound to; null: unbound' }),
  created_at: Iso,
  last_used_at: Iso.nullable(),
  revoked_at: Iso.nullable(),
  created_by_key_id: z.number().int().nullable(),
}).openapi('ApiKey')

export const CreatedApiKeySchema = z.object({
  id: z.number().int(),
  key: z.string().openapi({ description: 'The raw key, shown exactly once.', example: 'gfk_a3f8b1c2d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0' }),
  key_prefix: z.string(),
  label: z.string(),
  permissions: z.array(Scope),
  tenant_id: z.number().int().nullable(),
  cluster_id: z.number().int().nullable(),
  created_at: Iso,
  revoked_at: Iso.nullable(),
}).openapi('CreatedApiKey')

export type ApiKeyWire = z.infer<typeof ApiKeySchema>
