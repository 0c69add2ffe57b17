/**
 * The one logger type of both servers: the slice of pino that gpufleet code writes to, the
 * structured object first, then the message (pino's order). A pino Logger fits as is; tests
 * pass one writing to a buffer, or a recording fake. Each part names the levels it uses, e.g.
 * `Pick<Logger, 'info' | 'warn'>`, so a fake needs no more than that.
 */
export interface Logger {
  debug: (obj: object, msg: string) => void
  info: (obj: object, msg: string) => void
  warn: (obj: object, msg: string) => void
  error: (obj: object, msg: string) => void
}
