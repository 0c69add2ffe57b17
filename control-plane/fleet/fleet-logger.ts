import type { Logger } from '../../shared/logger.ts'

/** The slice of a pino logger the fleet code uses (tests pass a recording one). */
export type FleetLogger = Pick<Logger, 'info' | 'warn'>
