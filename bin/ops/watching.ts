import { setTimeout as sleep } from 'node:timers/promises'
import { snakeize } from '../../shared/sdk/camel-case.ts'
import type { FleetOp } from './run-fleet-command.ts'
import type { ControlPlaneClient } from '../../shared/sdk/control-plane-client.ts'
import { positiveInt } from './cli-error.ts'

const CLEAR = '\x1b[H\x1b[2J'

/**
 * `--watch [SECONDS]` for a listing: runs it again every SECONDS (default 2) until Ctrl-C.
 * On a terminal each table replaces the last; with --json one JSON document (one line) per
 * refresh, so a script reads them line by line. An error ends the watch as it ends one run.
 */
export function watching (op: FleetOp): FleetOp {
  return async (ctx, args, o) => {
    if (o.watch === undefined) return await op(ctx, args, o)
    const seconds = o.watch === true ? 2 : positiveInt(String(o.watch), '--watch') ?? 2
    const tty = process.stdout.isTTY === true
    let client: ControlPlaneClient | undefined
    const watched = {
      ...ctx,
      // One client for every refresh (runFleetCommand closes it at the end).
      controlPlane: () => (client ??= ctx.controlPlane()),
      print: (value: unknown, human: () => string) => {
        process.stdout.write(ctx.json ? `${JSON.stringify(snakeize(value))}\n` : tty ? `${CLEAR}every ${seconds}s  ${new Date().toISOString()}\n\n${human()}` : `${human()}\n`)
      },
    }
    for (;;) {
      await op(watched, args, o)
      await sleep(seconds * 1000)
    }
  }
}
