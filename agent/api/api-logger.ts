import type { Logger } from '../../shared/logger.ts'

/** The slice of pino the API uses; tests hand it a real pino writing to a buffer. */
export type ApiLogger = Pick<Logger, 'info' | 'warn' | 'error'>
