import { Worker } from 'node:worker_threads'
import { closeWorkerThread } from './close-worker-thread.ts'
import { siblingModule } from '../../../shared/sibling-module.ts'
import type { CheckpointReply, CheckpointRequest } from './sqlite-checkpoint-worker.ts'

export interface CheckpointResult {
  /** The checkpoint could not finish (a reader or writer was in the way); it resumes next time. */
  busy: boolean
  /** Frames in the WAL file. */
  walFrames: number
  /** Of them, copied into the database file (all of them: the next write restarts the WAL). */
  checkpointedFrames: number
  /** Time spent on the worker thread. */
  ms: number
}

export interface CheckpointWorker {
  /** One PASSIVE checkpoint of `path`, run on the worker thread. */
  checkpoint: () => Promise<CheckpointResult>
  close: () => Promise<void>
}

/**
 * A worker thread with its own SQLite connection to `path` that runs checkpoints, so the
 * copy and fsync of the WAL never run on (or stall) the event loop. The thread is unref'd:
 * it never keeps the process alive. If it dies, pending and later checkpoints reject.
 */
export function openCheckpointWorker (path: string): CheckpointWorker {
  const worker = new Worker(siblingModule(import.meta.url, 'sqlite-checkpoint-worker'), { workerData: { path } })
  worker.unref()
  const pending = new Map<number, { resolve: (r: CheckpointResult) => void, reject: (err: Error) => void }>()
  let nextId = 1
  let failure: Error | null = null
  const failAll = (err: Error) => {
    failure ??= err
    for (const p of pending.values()) p.reject(err)
    pending.clear()
  }
  worker.on('message', (reply: CheckpointReply) => {
    const p = pending.get(reply.id)
    if (p === undefined) return
    pending.delete(reply.id)
    if (reply.ok) p.resolve({ busy: reply.busy, walFrames: reply.walFrames, checkpointedFrames: reply.checkpointedFrames, ms: reply.ms })
    else p.reject(new Error(`checkpoint failed: ${reply.message}`))
  })
  worker.on('error', err => failAll(err))
  worker.on('exit', code => failAll(new Error(`checkpoint worker exited (code ${code})`)))

  return {
    checkpoint () {
      if (failure !== null) return Promise.reject(failure)
      const id = nextId++
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject })
        worker.postMessage({ kind: 'checkpoint', id } satisfies CheckpointRequest)
      })
    },
    async close () {
      if (failure !== null) return
      await closeWorkerThread(worker, { kind: 'close' } satisfies CheckpointRequest)
    },
  }
}
