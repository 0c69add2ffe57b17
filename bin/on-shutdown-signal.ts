import { EXIT } from './exit-codes.ts'

/** SIGTERM/SIGINT run `stop` once (a second signal while stopping is ignored), then exit. */
export function onShutdownSignal (name: string, stop: () => Promise<void>): void {
  let stopping = false
  const shutdown = (signal: string) => {
    if (stopping) return
    stopping = true
    process.stderr.write(`${name}: ${signal}, stopping\n`)
    stop().then(() => process.exit(EXIT.OK), (err: unknown) => {
      process.stderr.write(`${name}: stop failed: ${String(err)}\n`)
      process.exit(EXIT.FAILURE)
    })
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.on('SIGINT', () => shutdown('SIGINT'))
}
