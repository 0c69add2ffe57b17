import { parentPort, type TransferListItem } from 'node:worker_threads'

/**
 * How a connection's worker thread answers a call (worker-thread-calls.ts is the other side):
 * zero or more parts of a large answer, then its value or the error it threw.
 */
export type CallReply =
  | { id: number, part: unknown }
  | { id: number, ok: true, value: unknown }
  | { id: number, ok: false, name: string, message: string, code?: unknown, errcode?: unknown }

/** A request's answer: its value, and the buffers to transfer with it (not copied). */
export interface Answer { value: unknown, transfer?: TransferListItem[] }

/**
 * A connection's worker-thread side: each request is run in arrival order and answered (or
 * its error sent back) until `{ kind: 'close' }`, which runs `close` (the connection goes) and
 * ends the thread. `part` sends a piece of a large answer ahead of the rest.
 */
export function serveCalls<R extends { kind: string }> (
  close: () => void,
  run: (request: Exclude<R, { kind: 'close' }> & { id: number }, part: (piece: unknown) => void) => Answer,
): void {
  const port = parentPort!
  port.on('message', (request: R & { id: number }) => {
    if (request.kind === 'close') {
      close()
      port.close()
      return
    }
    const { id } = request
    try {
      const { value, transfer = [] } = run(request as Exclude<R, { kind: 'close' }> & { id: number }, piece => port.postMessage({ id, part: piece } satisfies CallReply))
      port.postMessage({ id, ok: true, value } satisfies CallReply, transfer)
    } catch (err) {
      const e = err as Error & { code?: unknown, errcode?: unknown }
      port.postMessage({ id, ok: false, name: e.name, message: e.message, code: e.code, errcode: e.errcode } satisfies CallReply)
    }
  })
}
