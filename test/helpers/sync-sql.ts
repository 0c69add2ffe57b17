import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads'

export type Row = Record<string, unknown>

/**
 * Synchronous SQL (`?` placeholders) on a PostgreSQL schema, for test fixtures whose interface
 * is synchronous because SQLite's is: a worker thread runs the query and this thread blocks on
 * Atomics.wait until it answers. Test code only.
 */
export function syncSql (url: string, schema: string): { query: (sql: string, ...args: unknown[]) => Row[], close: () => Promise<void> } {
  const { port1, port2 } = new MessageChannel()
  const flag = new Int32Array(new SharedArrayBuffer(4))
  const worker = new Worker(new URL('./sync-sql-worker.ts', import.meta.url), {
    workerData: { port: port2, flag, url, schema },
    transferList: [port2],
  })
  worker.unref()
  return {
    query (sql, ...args) {
      Atomics.store(flag, 0, 0)
      port1.postMessage({ sql, args })
      if (Atomics.wait(flag, 0, 0, 60_000) === 'timed-out') throw new Error(`syncSql: no answer in 60 s to ${sql}`)
      const reply = receiveMessageOnPort(port1)?.message as { rows?: Row[], error?: string } | undefined
      if (reply === undefined) throw new Error('syncSql: the worker answered nothing')
      if (reply.error !== undefined) throw new Error(reply.error)
      return reply.rows ?? []
    },
    async close () {
      port1.close()
      await worker.terminate()
    },
  }
}
