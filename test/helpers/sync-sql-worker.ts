// The worker behind syncSql(): one pg client; each message is one query, answered on the port,
// then the shared flag wakes the waiting thread.
import { workerData, type MessagePort } from 'node:worker_threads'
import pg from 'pg'
import { numberPlaceholders } from '../../control-plane/store/postgres/pg-db.ts'

const { port, flag, url, schema } = workerData as { port: MessagePort, flag: Int32Array, url: string, schema: string }
const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` })
// Queries sent while connecting wait in pg's queue.
const connected = client.connect()
port.on('message', async ({ sql, args }: { sql: string, args: unknown[] }) => {
  let reply: { rows?: unknown[], error?: string }
  try {
    await connected
    reply = { rows: (await client.query(numberPlaceholders(sql), args)).rows }
  } catch (err) {
    reply = { error: (err as Error).message }
  }
  port.postMessage(reply)
  Atomics.store(flag, 0, 1)
  Atomics.notify(flag, 0)
})
