/**
 * Who may use a database file next, between the event loop's connection and the telemetry
 * writer thread's, in shared memory. Without it the event loop, finding the writer mid-commit,
 * would wait inside SQLite's busy handler: asleep, blocking the loop, in steps of up to 100 ms
 * polled while the writer commits back to back. With it the event loop awaits the writer's
 * COMMIT without blocking (Atomics.waitAsync) and is woken at once; the writer, a thread of its
 * own, blocks, and lets a waiting event loop in before its next transaction. busy_timeout stays
 * the backstop for anything outside the gate (other processes, other handles).
 */
const LOCK = 0
const WAITERS = 1
const FREE = 0
const MAIN = 1
const WRITER = 2

export interface WriteGate {
  /** The shared memory, for the writer thread's side (writerGate). */
  readonly buffer: SharedArrayBuffer
  /** Runs `fn` holding the gate: at once when it is free, else after the writer's current transaction. */
  run: <T>(fn: () => T | Promise<T>) => Promise<T>
  /** The writer thread died: whatever it held is free. */
  writerGone: () => void
}

export function createWriteGate (): WriteGate {
  const buffer = new SharedArrayBuffer(8)
  const g = new Int32Array(buffer)
  const release = () => {
    Atomics.store(g, LOCK, FREE)
    Atomics.notify(g, LOCK)
  }
  async function acquire (): Promise<void> {
    Atomics.add(g, WAITERS, 1)
    try {
      for (;;) {
        const held = Atomics.compareExchange(g, LOCK, FREE, MAIN)
        if (held === FREE) return
        const wait = Atomics.waitAsync(g, LOCK, held)
        if (wait.async) await wait.value
      }
    } finally {
      Atomics.sub(g, WAITERS, 1)
      Atomics.notify(g, WAITERS)
    }
  }
  const hold = <T>(fn: () => T | Promise<T>): Promise<T> => {
    let result: T | Promise<T>
    try {
      result = fn()
    } catch (err) {
      release()
      return Promise.reject(err)
    }
    if (!(result instanceof Promise)) {
      release()
      return Promise.resolve(result)
    }
    return result.finally(release)
  }
  return {
    buffer,
    run (fn) {
      if (Atomics.compareExchange(g, LOCK, FREE, MAIN) === FREE) return hold(fn)
      return acquire().then(() => hold(fn))
    },
    writerGone () {
      if (Atomics.compareExchange(g, LOCK, WRITER, FREE) === WRITER) Atomics.notify(g, LOCK)
    },
  }
}

/**
 * The writer thread's side: `fn` holding the gate, after any event-loop waiter. Waits at most
 * `maxWaitMs` (an event loop holding it that long is left to busy_timeout, as without a gate).
 */
export function writerGate (buffer: SharedArrayBuffer, maxWaitMs = 5000) {
  const g = new Int32Array(buffer)
  return function run<T> (fn: () => T): T {
    const deadline = performance.now() + maxWaitMs
    let held = false
    for (;;) {
      const left = deadline - performance.now()
      if (left <= 0) break
      const waiters = Atomics.load(g, WAITERS)
      if (waiters > 0) {
        Atomics.wait(g, WAITERS, waiters, Math.min(left, 50))
        continue
      }
      const was = Atomics.compareExchange(g, LOCK, FREE, WRITER)
      if (was === FREE) {
        held = true
        break
      }
      Atomics.wait(g, LOCK, was, Math.min(left, 50))
    }
    try {
      return fn()
    } finally {
      if (held) {
        Atomics.store(g, LOCK, FREE)
        Atomics.notify(g, LOCK)
      }
    }
  }
}
