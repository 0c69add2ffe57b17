/** The slice of a pino logger the fleet code uses (tests pass a recording one). */
export interface FleetLogger {
  info: (obj: object, msg: string) => void
  warn: (obj: object, msg: string) => void
}
