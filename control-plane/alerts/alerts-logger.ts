/** The slice of a pino logger the alerts code uses (tests pass a recording one). */
export interface AlertsLogger {
  info: (obj: object, msg: string) => void
  warn: (obj: object, msg: string) => void
}
