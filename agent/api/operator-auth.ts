import { createHash, timingSafeEqual } from 'node:crypto'
import { INTROSPECT_PATH } from '../../shared/wire/paths.ts'
import type { IntrospectRequest } from '../../shared/wire/introspect.ts'
import { looksLikeJwt, type OperatorAction } from '../../shared/wire/operator-token.ts'
import type { ApiLogger } from './api-logger.ts'
import { createHttpPostJson } from './http-post-json.ts'
import type { PostJson } from './http-post-json.ts'
import type { OperatorTokenVerifier } from './verify-operator-token.ts'

export type AuthVerdict = 'ok' | 'forbidden' | 'unauthorized' | 'unavailable'
export type AuthVia = 'cache' | 'control-plane' | 'break-glass' | 'token'

export interface AuthResult {
  verdict: AuthVerdict
  via: AuthVia
  /** The control plane's id for the key (for audit logs; a token's minting key); null for break-glass or unknown. */
  keyId: number | null
  /** Why a token was refused, for the response (keys get the generic messages). */
  message?: string
}

export interface OperatorAuth {
  /** `action`: which operator call (tokens carry the actions they allow; keys allow all). */
  check: (key: string, action?: OperatorAction) => Promise<AuthResult>
  /**
   * The control plane's revocation epoch, from each push acknowledgement. A change drops every
   * cached verdict, so a revoked key stops working here within a push or two instead of
   * keyCacheTtl. Optional only so fakes written before it compile.
   */
  revocationEpoch?: (epoch: number) => void
  /** The newest epoch heard, null before the first. */
  currentEpoch?: () => number | null
  /** A still-valid cached verdict for this key, without asking anyone; null when there is none. */
  cachedVerdict?: (key: string) => AuthResult | null
}

export interface OperatorAuthOptions {
  controlPlaneUrl: string
  /** PEM CA bundle trusted for an https:// control plane (--control-plane-ca). */
  controlPlaneCa?: Buffer | undefined
  /** The agent's own ingest-scoped key; without it no key can be introspected. */
  agentApiKey?: string | undefined
  /** Lowercase hex SHA-256 of the break-glass key, honoured only while the control plane is unreachable. */
  breakGlassKeySha256?: string | undefined
  /** How long a verdict is reused; at most 60 s so a revoked key stops working within a minute. */
  cacheTtlMs: number
  now?: () => number
  request?: PostJson
  /** Deadline for one introspection when `request` is not given. */
  timeoutMs?: number
  /** Bound on cached verdicts, so a flood of random keys cannot grow memory without limit. */
  maxCacheEntries?: number
  log?: ApiLogger
  /** Verifies operator tokens (JWTs) locally; without it a token is an invalid key. */
  tokens?: OperatorTokenVerifier
  /**
   * After an epoch change, verdicts are cached only until this long after it: a replica of
   * the control plane may still answer from its own 5 s key cache for that long.
   */
  revocationSettleMs?: number
}

export const MAX_KEY_CACHE_TTL_MS = 60_000
/** The control plane's own verified-key cache lifetime (cacheActiveKeys' default). */
export const REVOCATION_SETTLE_MS = 5000

interface IntrospectReply {
  active: boolean
  scopes: string[]
  keyId: number | null
  tenantId: number | null
}

/**
 * The control plane's answer, or null when malformed. Extra fields are tolerated (the control
 * plane may add some); scopes are kept as plain strings so a scope this agent doesn't know
 * yet is ignored rather than failing the parse. By hand, not zod (~5 MB of the agent's RSS).
 */
function parseIntrospectReply (body: unknown): IntrospectReply | null {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return null
  const { active, scopes = [], key_id: keyId = null, tenant_id: tenantId = null } = body as Record<string, unknown>
  if (typeof active !== 'boolean') return null
  if (!Array.isArray(scopes) || !scopes.every(s => typeof s === 'string')) return null
  if ((keyId !== null && typeof keyId !== 'number') || (tenantId !== null && typeof tenantId !== 'number')) return null
  return { active, scopes, keyId, tenantId }
}

interface CacheEntry {
  result: AuthResult
  expiresAt: number
}

/**
 * Decides whether a key presented to the operator API belongs to an operator, by asking the
 * control plane (introspection). Keys are handled only as SHA-256 digests past the first
 * line of `check`: the cache, the in-flight map and logs never see a raw key.
 */
export function createOperatorAuth (options: OperatorAuthOptions): OperatorAuth {
  const settings = validate(options)
  const { cacheTtlMs, maxCacheEntries, log } = settings
  const now = options.now ?? Date.now
  const post = options.request ?? createHttpPostJson({ timeoutMs: settings.timeoutMs, ca: options.controlPlaneCa })
  // Appended, not resolved: a control plane behind a path prefix keeps its prefix.
  const introspectUrl = settings.controlPlaneUrl.replace(/\/+$/, '') + INTROSPECT_PATH
  const cache = new Map<string, CacheEntry>()
  const inFlight = new Map<string, Promise<AuthResult>>()
  let warnedNoAgentKey = false
  let epoch: number | null = null
  // Bumped on every epoch change: an introspection that started before it must not cache.
  let generation = 0
  let settleUntil = -Infinity
  const settleMs = options.revocationSettleMs ?? REVOCATION_SETTLE_MS

  async function check (key: string, action?: OperatorAction): Promise<AuthResult> {
    if (options.tokens !== undefined && looksLikeJwt(key)) {
      const v = await options.tokens.verify(key, action)
      return { verdict: v.verdict, via: 'token', keyId: v.keyId, ...(v.verdict === 'ok' ? {} : { message: v.reason }) }
    }
    const digest = createHash('sha256').update(key, 'utf8').digest()
    const id = digest.toString('hex')
    const cached = cache.get(id)
    if (cached !== undefined) {
      if (cached.expiresAt > now()) return { ...cached.result, via: 'cache' }
      cache.delete(id)
    }
    // Concurrent requests with the same key share one introspection.
    const pending = inFlight.get(id)
    if (pending !== undefined) return pending
    const started = ask(key, digest).finally(() => inFlight.delete(id))
    inFlight.set(id, started)
    return started
  }

  function cachedVerdict (key: string): AuthResult | null {
    const cached = cache.get(createHash('sha256').update(key, 'utf8').digest('hex'))
    return cached !== undefined && cached.expiresAt > now() ? { ...cached.result, via: 'cache' } : null
  }

  async function ask (key: string, digest: Buffer): Promise<AuthResult> {
    const id = digest.toString('hex')
    const asked = generation
    const answer = await introspect(key, id)
    if (answer.verdict !== 'unavailable') {
      if (asked === generation) remember(id, answer)
      return answer
    }
    if (settings.breakGlass !== null && timingSafeEqual(digest, settings.breakGlass)) {
      log?.warn({ key_sha256_prefix: id.slice(0, 12) }, 'control plane unreachable: accepted the break-glass key')
      return { verdict: 'ok', via: 'break-glass', keyId: null }
    }
    return answer
  }

  async function introspect (key: string, id: string): Promise<AuthResult> {
    const unavailable: AuthResult = { verdict: 'unavailable', via: 'control-plane', keyId: null }
    if (settings.agentApiKey === undefined) {
      if (!warnedNoAgentKey) log?.warn({}, 'no agent API key configured: operator keys cannot be introspected, only the break-glass key works')
      warnedNoAgentKey = true
      return unavailable
    }
    const payload: IntrospectRequest = { key }
    let reply
    try {
      reply = await post(introspectUrl, payload, { authorization: `Bearer ${settings.agentApiKey}` })
    } catch (err) {
      log?.warn({ reason: describe(err), url: introspectUrl }, 'key introspection failed: control plane unreachable')
      return unavailable
    }
    if (reply.status === 400 || reply.status === 422) {
      // The control plane refused the key's form (length, characters): it cannot be valid.
      return { verdict: 'unauthorized', via: 'control-plane', keyId: null }
    }
    if (reply.status !== 200) {
      // 401/403 mean the agent's own key is wrong, 5xx/429 that the control plane is in
      // trouble: neither says anything about the operator's key.
      log?.warn({ status: reply.status, url: introspectUrl, key_sha256_prefix: id.slice(0, 12) }, 'key introspection failed')
      return unavailable
    }
    const parsed = parseIntrospectReply(reply.body)
    if (parsed === null) {
      log?.error({ url: introspectUrl }, 'key introspection returned a malformed answer')
      return unavailable
    }
    const { active, scopes, keyId, tenantId } = parsed
    if (!active) return { verdict: 'unauthorized', via: 'control-plane', keyId: null }
    // /v1/gpu/* acts on node-global, multi-tenant state: a key bound to one tenant may not
    // use it even if it carries the superadmin scope.
    const operator = scopes.includes('superadmin') && tenantId === null
    return { verdict: operator ? 'ok' : 'forbidden', via: 'control-plane', keyId }
  }

  function remember (id: string, result: AuthResult): void {
    if (cacheTtlMs === 0) return
    if (cache.size >= maxCacheEntries) {
      const oldest = cache.keys().next()
      if (oldest.done !== true) cache.delete(oldest.value)
    }
    const t = now()
    cache.set(id, { result, expiresAt: t < settleUntil ? settleUntil : t + cacheTtlMs })
  }

  function revocationEpoch (next: number): void {
    if (next === epoch) return
    const first = epoch === null
    epoch = next
    // The first epoch after a start drops too: a revoke may have come between a verdict cached
    // before the first push and that push.
    generation++
    cache.clear()
    settleUntil = now() + Math.min(settleMs, cacheTtlMs)
    if (!first) log?.info({ epoch: next }, 'API keys were revoked: cached key verdicts dropped')
  }

  return { check, revocationEpoch, currentEpoch: () => epoch, cachedVerdict }
}

function validate (options: OperatorAuthOptions) {
  const where = 'createOperatorAuth'
  let controlPlaneUrl: URL
  try {
    controlPlaneUrl = new URL(options.controlPlaneUrl)
  } catch {
    throw new TypeError(`${where}: controlPlaneUrl must be an http(s) URL, got ${JSON.stringify(options.controlPlaneUrl)}`)
  }
  if (controlPlaneUrl.protocol !== 'http:' && controlPlaneUrl.protocol !== 'https:') {
    throw new TypeError(`${where}: controlPlaneUrl must be an http(s) URL, got ${JSON.stringify(options.controlPlaneUrl)}`)
  }
  const { cacheTtlMs } = options
  if (!Number.isInteger(cacheTtlMs) || cacheTtlMs < 0 || cacheTtlMs > MAX_KEY_CACHE_TTL_MS) {
    throw new TypeError(`${where}: cacheTtlMs must be an integer from 0 to ${MAX_KEY_CACHE_TTL_MS}, got ${String(cacheTtlMs)}`)
  }
  const hash = options.breakGlassKeySha256
  if (hash !== undefined && !/^[0-9a-f]{64}$/.test(hash)) {
    throw new TypeError(`${where}: breakGlassKeySha256 must be 64 lowercase hex characters (a SHA-256)`)
  }
  const timeoutMs = options.timeoutMs ?? 3000
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw new TypeError(`${where}: timeoutMs must be a positive integer, got ${String(timeoutMs)}`)
  }
  const maxCacheEntries = options.maxCacheEntries ?? 10_000
  if (!Number.isInteger(maxCacheEntries) || maxCacheEntries < 1) {
    throw new TypeError(`${where}: maxCacheEntries must be a positive integer, got ${String(maxCacheEntries)}`)
  }
  const agentApiKey = options.agentApiKey === '' ? undefined : options.agentApiKey
  return Object.freeze({
    controlPlaneUrl: controlPlaneUrl.toString(),
    agentApiKey,
    breakGlass: hash === undefined ? null : Buffer.from(hash, 'hex'),
    cacheTtlMs,
    timeoutMs,
    maxCacheEntries,
    log: options.log,
  })
}

function describe (err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code
    return typeof code === 'string' ? `${code}: ${err.message}` : `${err.name}: ${err.message}`
  }
  return String(err)
}
