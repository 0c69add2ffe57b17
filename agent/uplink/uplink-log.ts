/** The slice of a pino logger the uplink writes to (a pino Logger fits as is). */
export interface UplinkLog {
  debug: (obj: object, msg?: string) => void
  info: (obj: object, msg?: string) => void
  warn: (obj: object, msg?: string) => void
  error: (obj: object, msg?: string) => void
}
