/**
 * Worker-thread entry for openCheckpointWorker: its own connection to the database file,
 * running PASSIVE checkpoints on request. PASSIVE never takes the writer lock and never waits,
 * so the main thread's commits go on while this thread copies WAL frames into the database
 * file and fsyncs it.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { DatabaseSync } from 'node:sqlite'

/** `close`: close the connection and let the thread end (after any checkpoint in progress). */
export type CheckpointRequest = { kind: 'checkpoint', id: number } | { kind: 'close' }
export type CheckpointReply =
  | { id: number, ok: true, busy: boolean, walFrames: number, checkpointedFrames: number, ms: number }
  | { id: number, ok: false, message: string }

const { path } = workerData as { path: string }
const db = new DatabaseSync(path)
db.exec('PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;')
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)')

parentPort!.on('message', (request: CheckpointRequest) => {
  if (request.kind === 'close') {
    db.close()
    parentPort!.close()
    return
  }
  const { id } = request
  let reply: CheckpointReply
  try {
    const started = performance.now()
    const row = checkpoint.get() as { busy: number, log: number, checkpointed: number }
    reply = { id, ok: true, busy: row.busy !== 0, walFrames: row.log, checkpointedFrames: row.checkpointed, ms: performance.now() - started }
  } catch (err) {
    reply = { id, ok: false, message: (err as Error).message }
  }
  parentPort!.postMessage(reply)
})
