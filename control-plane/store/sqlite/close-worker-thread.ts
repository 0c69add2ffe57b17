import type { Worker } from 'node:worker_threads'

/**
 * Asks a connection's worker thread to close (`message`: its close request, answered after
 * the requests before it) and resolves once the thread has exited, so its connection is gone
 * before the main one closes (the last connection checkpoints and removes the WAL). The thread
 * is held meanwhile, even by a process with nothing else left to do.
 */
export async function closeWorkerThread (w: Worker, message: unknown): Promise<void> {
  const exited = new Promise<void>(resolve => w.once('exit', () => resolve()))
  w.ref()
  w.postMessage(message)
  await exited
}
