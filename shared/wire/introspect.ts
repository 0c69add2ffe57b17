import { z } from 'zod'

/**
 * Key introspection (in the spirit of RFC 7662): an `ingest`-scoped agent asks the control
 * plane whether a key presented to the agent's operator API is valid, and with which scopes.
 * The raw key travels only agent → control plane over the configured URL; neither side logs it.
 */
export const introspectRequestSchema = z.object({
  key: z.string().min(1).max(512),
})
export type IntrospectRequest = z.infer<typeof introspectRequestSchema>

export const SCOPES = ['read', 'write', 'admin', 'superadmin', 'ingest'] as const
export type Scope = typeof SCOPES[number]

export interface IntrospectResponse {
  active: boolean
  scopes: Scope[]
  key_id: number | null
  tenant_id: number | null
}

export { INTROSPECT_PATH } from './paths.ts'
