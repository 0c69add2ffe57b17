/**
 * Operator tokens: short-lived JWTs (EdDSA / Ed25519) the control plane signs and the agents
 * verify locally with the public key pinned at registration, so an operator's superadmin key
 * never has to travel to a GPU host. Plain constants and types (no zod): the agent imports
 * this file.
 *
 * Claims: iss = OPERATOR_TOKEN_ISSUER, sub = `key:<id>` (the superadmin key that minted it),
 * aud = nodeAudience(id) or clusterAudience(id), iat/nbf/exp (exp − iat ≤ 300 s), jti (random),
 * scope = space-separated `gpu:<action>`, rev = the revocation epoch when it was minted (an agent
 * that has seen a later epoch refuses it: any key revocation ends every token minted before it).
 */
export const OPERATOR_TOKEN_ISSUER = 'gpufleet-control-plane'
export const OPERATOR_TOKEN_ALG = 'EdDSA'
/** Explicit JWT type (RFC 8725 §3.11): no other JWT can be passed off as an operator token. */
export const OPERATOR_TOKEN_TYP = 'gpufleet-operator+jwt'
export const OPERATOR_ACTIONS = ['status', 'memory', 'purge'] as const
export type OperatorAction = typeof OPERATOR_ACTIONS[number]
/** Default and maximum lifetime, seconds. */
export const OPERATOR_TOKEN_MAX_TTL_S = 300

export const nodeAudience = (nodeId: number): string => `gpufleet:node:${nodeId}`
export const clusterAudience = (clusterId: number): string => `gpufleet:cluster:${clusterId}`
export const actionScope = (action: OperatorAction): string => `gpu:${action}`

/**
 * The control plane's public key as a JWK (RFC 8037), sent in the node registration answer as
 * `operator_token_key`. `kid` is the key's RFC 7638 thumbprint, so an operator can compare it
 * (and `--repin-operator-key` names it) without trusting whoever sent the key.
 */
export interface OperatorTokenKey {
  kid: string
  kty: 'OKP'
  crv: 'Ed25519'
  x: string
  alg: 'EdDSA'
  use: 'sig'
}

/** What `POST /api/nodes/:id/operator-token` answers. */
export interface OperatorTokenResponse {
  token: string
  token_type: 'Bearer'
  expires_at: string
  expires_in: number
  kid: string
  audience: string
  actions: OperatorAction[]
  node: { id: number, hostname: string, cluster_id: number, agent_url: string | null }
}

export const operatorTokenPath = (nodeId: number): string => `/api/nodes/${nodeId}/operator-token`

/** A JWS compact serialization (three base64url parts); gfk_ keys never contain a dot. */
export function looksLikeJwt (credential: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(credential)
}
