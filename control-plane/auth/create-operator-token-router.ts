import { createRoute, z } from '@hono/zod-openapi'
import { httpError } from '../../shared/error-codes.ts'
import {
  OPERATOR_ACTIONS, OPERATOR_TOKEN_MAX_TTL_S, clusterAudience, nodeAudience, type OperatorTokenResponse,
} from '../../shared/wire/operator-token.ts'
import type { RequireScope } from '../http/cp-env.ts'
import { createRouter } from '../http/create-router.ts'
import { API_KEY_SECURITY } from '../http/api-key-security.ts'
import { errorResponses } from '../http/error-responses.ts'
import type { Store } from '../store/store.ts'
import type { OperatorTokenSigner } from './create-operator-token-signer.ts'
import type { RevocationEpoch } from './create-revocation-epoch.ts'

export interface OperatorTokenRouterDeps {
  store: Pick<Store, 'fleet'>
  requireScope: RequireScope
  signer: OperatorTokenSigner
  epoch: RevocationEpoch
}

const NodeIdParam = z.object({
  id: z.string().regex(/^[1-9][0-9]{0,14}$/, 'id must be a positive integer (the node id)')
    .openapi({ param: { name: 'id', in: 'path' }, example: '7' }),
})

const MintBody = z.object({
  actions: z.array(z.enum(OPERATOR_ACTIONS)).min(1).max(OPERATOR_ACTIONS.length)
    .refine(a => new Set(a).size === a.length, 'actions must not repeat')
    .optional()
    .openapi({ description: `Agent actions the token allows (default all: ${OPERATOR_ACTIONS.join(', ')}).`, example: ['status', 'memory'] }),
  ttl_s: z.number().int().min(1).max(OPERATOR_TOKEN_MAX_TTL_S).optional()
    .openapi({ description: `Lifetime in seconds (default and maximum ${OPERATOR_TOKEN_MAX_TTL_S}).`, example: 120 }),
  scope: z.enum(['node', 'cluster']).optional()
    .openapi({ description: 'node (default): only this node\'s agent accepts it; cluster: every agent of its cluster.' }),
}).strict().openapi('OperatorTokenRequest')

const OperatorTokenSchema = z.object({
  token: z.string().openapi({ description: 'Send to the agent as Authorization: Bearer <token>. Never stored.' }),
  token_type: z.literal('Bearer'),
  expires_at: z.string().openapi({ example: '2026-05-09T00:35:00.000Z' }),
  expires_in: z.number().int().openapi({ description: 'Seconds' }),
  kid: z.string().openapi({ description: 'The signing key (RFC 7638 thumbprint), as agents pin it' }),
  audience: z.string().openapi({ example: 'gpufleet:node:7' }),
  actions: z.array(z.enum(OPERATOR_ACTIONS)),
  node: z.object({ id: z.number().int(), hostname: z.string(), cluster_id: z.number().int(), agent_url: z.string().nullable() }),
}).openapi('OperatorToken')

const mint = createRoute({
  method: 'post',
  path: '/api/nodes/{id}/operator-token',
  tags: ['API Keys'],
  summary: 'Mint a short-lived operator token for one node\'s agent (or its whole cluster); superadmin',
  description: 'An Ed25519-signed JWT (≤ 300 s) the agent verifies locally with the key it pinned at registration, ' +
    'so the superadmin key itself never reaches the GPU host. The body is optional. 404 NODE_NOT_FOUND for an unknown node.',
  security: API_KEY_SECURITY,
  request: { params: NodeIdParam, body: { required: false, content: { 'application/json': { schema: MintBody } } } },
  responses: {
    200: { description: 'The token and its expiry', content: { 'application/json': { schema: OperatorTokenSchema } } },
    ...errorResponses(400, 401, 403, 404, 413, 415, 429),
  },
})

/** POST /api/nodes/:id/operator-token (docs/api.md "Operator tokens"). */
export function createOperatorTokenRouter (deps: OperatorTokenRouterDeps) {
  const { store, requireScope, signer, epoch } = deps
  const router = createRouter()

  router.openapi({ ...mint, middleware: [requireScope('superadmin')] }, async c => {
    const id = Number(c.req.valid('param').id)
    const body = c.req.valid('json') ?? {}
    const node = await store.fleet.getNode(id)
    if (node === null) throw httpError('NODE_NOT_FOUND', `no node with id ${id}`)
    const actions = OPERATOR_ACTIONS.filter(a => body.actions === undefined || body.actions.includes(a))
    const audience = body.scope === 'cluster' ? clusterAudience(node.clusterId) : nodeAudience(node.id)
    const ttlS = body.ttl_s ?? OPERATOR_TOKEN_MAX_TTL_S
    // Read now, not from the 1 s cache: a token must not carry an epoch older than one its
    // agent may already have seen, or the agent would refuse it as minted before a revoke.
    const rev = await epoch.fresh()
    const minted = await signer.mint({ audience, actions, ttlS, keyId: c.var.principal.keyId, revocationEpoch: rev })
    const answer: OperatorTokenResponse = {
      token: minted.token,
      token_type: 'Bearer',
      expires_at: new Date(minted.expiresAt).toISOString(),
      expires_in: ttlS,
      kid: minted.kid,
      audience,
      actions,
      node: { id: node.id, hostname: node.hostname, cluster_id: node.clusterId, agent_url: node.agentUrl },
    }
    c.header('Cache-Control', 'no-store')
    return c.json(answer, 200)
  })

  return router
}
