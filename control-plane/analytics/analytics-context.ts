import type { AnalyticsRepository } from '../store/analytics-repository.ts'
import type { RequireScope } from '../http/cp-env.ts'
import type { createRouter } from '../http/create-router.ts'
import type { Logger } from '../../shared/logger.ts'

export type AnalyticsLogger = Pick<Logger, 'info' | 'warn'>

/** What each group of analytics routes is built with (create-analytics-router.ts makes it). */
export interface AnalyticsContext {
  repo: AnalyticsRepository
  requireScope: RequireScope
  now: () => number
  log: AnalyticsLogger
  /** ANALYTICS_SOURCE_ALIASES as a map, read per request (cheap: re-parsed only on change). */
  aliases: () => Promise<ReadonlyMap<string, string>>
}

export type AnalyticsApp = ReturnType<typeof createRouter>
