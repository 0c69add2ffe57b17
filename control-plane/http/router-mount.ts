import type { OpenAPIHono } from '@hono/zod-openapi'
import type { Registry } from 'prom-client'
import type { ControlPlaneConfig } from '../config.ts'
import type { Store } from '../store/store.ts'
import type { SessionAuth } from '../auth/create-session-auth.ts'
import type { OperatorTokenSigner } from '../auth/create-operator-token-signer.ts'
import type { RevocationEpoch } from '../auth/create-revocation-epoch.ts'
import type { CpEnv, RequireScope } from './cp-env.ts'
import type { Logger } from '../../shared/logger.ts'

/** The control plane's logger: every level (a pino Logger). */
export type CpLogger = Logger

/** What a router factory gets: everything it may depend on, already built. */
export interface RouterContext {
  store: Store
  log: CpLogger
  config: ControlPlaneConfig
  now: () => number
  /** The /metrics registry: register the domain's own counters here. */
  registry: Registry
  requireScope: RequireScope
  /** Console sessions (login, logout, CSRF); requireScope already accepts them. */
  sessions: SessionAuth
  /**
   * The whole app, in process: the console renders its pages from the same API its client
   * script calls (requests carry the caller's session cookie, so the API's own checks apply).
   */
  api: (path: string, init?: RequestInit) => Promise<Response>
  /** Whether this replica runs the background work now (always true on SQLite). */
  isLeader: () => boolean
  /** Signs operator tokens; its public key goes to agents in the registration answer. */
  operatorTokens: OperatorTokenSigner
  /** The revocation epoch for push acknowledgements (reread at most once a second). */
  revocationEpoch: RevocationEpoch
  /** Aborted when the server starts to stop: long polls answer now instead of holding the close up. */
  closing: AbortSignal
}

export type RouterFactory = (ctx: RouterContext) => OpenAPIHono<CpEnv>

/** How a domain plugs its routes into createControlPlane(). */
export interface RouterMount {
  /** Mount point for app.route(); '/' when the router's routes carry full paths. */
  path: string
  router: OpenAPIHono<CpEnv> | RouterFactory
  /** Body limits other than config.bodyLimitBytes for full path prefixes, e.g. bulk ingest. */
  bodyLimits?: ReadonlyArray<{ prefix: string, bytes: number }>
  /** Exact paths that take HTML form bodies besides JSON (the console's login and logout). */
  formPaths?: readonly string[]
  /** Paths (patterns) whose bodies are raw bytes, application/octet-stream (agents' job logs). */
  rawBodyPaths?: readonly RegExp[]
}
