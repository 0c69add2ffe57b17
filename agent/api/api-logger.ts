/** The slice of pino the API uses; tests hand it a real pino writing to a buffer. */
export interface ApiLogger {
  info: (obj: object, msg: string) => void
  warn: (obj: object, msg: string) => void
  error: (obj: object, msg: string) => void
}
