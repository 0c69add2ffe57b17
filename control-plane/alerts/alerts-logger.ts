import type { Logger } from '../../shared/logger.ts'

/** The slice of a pino logger the alerts code uses (tests pass a recording one). */
export type AlertsLogger = Pick<Logger, 'info' | 'warn'>
