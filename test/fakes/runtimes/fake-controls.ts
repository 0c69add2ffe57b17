import type { MiddlewareHandler } from 'hono'

export interface FakeCall {
  method: string
  path: string
  query: Record<string, string>
  /** Request headers, lower-case names (a test checks the runtime key was sent). */
  headers: Record<string, string>
  body: unknown
}

export interface FakeControls {
  /** Every request the fake received, in arrival order (recorded before any hold). */
  calls: FakeCall[]
  /** Park every following request until release(): a runtime that is slow to answer. */
  hold: () => void
  release: () => void
  middleware: MiddlewareHandler
}

/** What every fake runtime hands its test: where it listens, how to stop it, and its controls. */
export interface FakeRuntime extends Pick<FakeControls, 'calls' | 'hold' | 'release'> {
  url: string
  close: () => Promise<void>
}

/** The controls a fake runtime hands its test (all but the middleware it mounts). */
export function testControls ({ calls, hold, release }: FakeControls): Pick<FakeControls, 'calls' | 'hold' | 'release'> {
  return { calls, hold, release }
}

export function createFakeControls (): FakeControls {
  const calls: FakeCall[] = []
  let gate: { promise: Promise<void>, open: () => void } | null = null

  const middleware: MiddlewareHandler = async (c, next) => {
    const text = c.req.method === 'POST' ? await c.req.text() : ''
    let body: unknown
    try {
      body = text === '' ? undefined : JSON.parse(text)
    } catch {
      body = text
    }
    calls.push({ method: c.req.method, path: c.req.path, query: c.req.query(), headers: c.req.header(), body })
    if (gate !== null) await gate.promise
    await next()
  }

  return {
    calls,
    middleware,
    hold () {
      if (gate !== null) return
      let open!: () => void
      const promise = new Promise<void>(resolve => { open = resolve })
      gate = { promise, open }
    },
    release () {
      gate?.open()
      gate = null
    },
  }
}
