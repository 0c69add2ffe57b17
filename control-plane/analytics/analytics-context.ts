import type { AnalyticsRepository } from '../store/analytics-repository.ts'
import type { RequireScope } from '../http/cp-env.ts'
import type { createRouter } from '../http/create-router.ts'

export interface AnalyticsLogger {
  info: (obj: object, msg: string) => void
  warn: (obj: object, msg: string) => void
}

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
