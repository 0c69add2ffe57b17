import { Worker, type TransferListItem } from 'node:worker_threads'
import { closeWorkerThread } from './close-worker-thread.ts'
import type { CallReply } from './serve-calls.ts'

type Failure = Extract<CallReply, { ok: false }>

export interface WorkerThreadCallsOptions {
  url: URL
  workerData: unknown
  /** Names the thread in errors: "<label> closed", "<label> thread exited (code …)". */
  label: string
  /** A failed call's error (default: the thread's error class, message, code and errcode). */
  toError?: (failure: Failure) => Error
  /** The thread failed (an uncaught error), before it exits. */
  onError?: (err: Error) => void
  /** The thread exited (its calls are rejected next). */
  onExit?: () => void
}

export interface WorkerThreadCalls {
  /** Posts a request (its id added) and resolves with the thread's answer. */
  call: <T>(request: object, transfer?: readonly TransferListItem[]) => Promise<T>
  /** The same, resolving with the parts the thread sent ahead of its answer, in order. */
  callParts: <P>(request: object) => Promise<P[]>
  /** Later calls reject; a running thread answers what it was asked, then closes (serve-calls.ts). */
  close: () => Promise<void>
  /** Threads started so far. */
  starts: () => number
}

const ERRORS: Record<string, ErrorConstructor> = { Error, TypeError, RangeError }
const rebuilt = (f: Failure): Error =>
  Object.assign(new (ERRORS[f.name] ?? Error)(f.message), f.code === undefined ? {} : { code: f.code, errcode: f.errcode })

interface Pending { resolve: (value: unknown) => void, reject: (err: Error) => void, parts: unknown[] | null }

/**
 * Calls to a connection's worker thread (serve-calls.ts on its side), started at the first
 * call and again at the first after it died; a thread that dies rejects what it held. The
 * thread is unref'd while it owes nothing, and held while it does, so a caller awaiting an
 * answer is never left by an exiting process.
 */
export function workerThreadCalls (o: WorkerThreadCallsOptions): WorkerThreadCalls {
  const toError = o.toError ?? rebuilt
  const pending = new Map<number, Pending>()
  let worker: Worker | null = null
  let starts = 0
  let nextId = 1
  let closed = false

  function start (): Worker {
    starts++
    const w = new Worker(o.url, { workerData: o.workerData })
    w.unref()
    w.on('message', (reply: CallReply) => {
      const p = pending.get(reply.id)
      if (p === undefined) return
      if ('part' in reply) {
        p.parts?.push(reply.part)
        return
      }
      pending.delete(reply.id)
      if (pending.size === 0 && !closed) w.unref()
      if (!reply.ok) p.reject(toError(reply))
      else p.resolve(p.parts ?? reply.value)
    })
    let failure: Error | null = null
    w.on('error', err => {
      failure = err
      o.onError?.(err)
    })
    w.on('exit', code => {
      if (worker === w) worker = null
      o.onExit?.()
      const err = new Error(`${o.label} thread exited (code ${code})${failure === null ? '' : `: ${failure.message}`}`)
      for (const p of pending.values()) p.reject(err)
      pending.clear()
    })
    return w
  }

  function post (request: object, transfer: readonly TransferListItem[], parts: unknown[] | null): Promise<unknown> {
    if (closed) return Promise.reject(new Error(`${o.label} closed`))
    const w = worker ??= start()
    const id = nextId++
    return new Promise((resolve, reject) => {
      if (pending.size === 0) w.ref()
      pending.set(id, { resolve, reject, parts })
      w.postMessage({ ...request, id }, transfer)
    })
  }

  return {
    call: <T>(request: object, transfer: readonly TransferListItem[] = []) => post(request, transfer, null) as Promise<T>,
    callParts: <P>(request: object) => post(request, [], []) as Promise<P[]>,
    starts: () => starts,
    async close () {
      if (closed) return
      closed = true
      if (worker !== null) await closeWorkerThread(worker, { kind: 'close' })
    },
  }
}
