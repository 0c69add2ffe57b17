import type { Logger } from '../../shared/logger.ts'

/** The slice of a pino logger the uplink writes to (a pino Logger fits as is). */
export type UplinkLog = Logger
