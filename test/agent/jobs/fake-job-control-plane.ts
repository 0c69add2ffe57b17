import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { AGENT_ASSIGNMENTS_PATH, type Assignment, type JobRunEvent } from '../../../shared/wire/job-execution.ts'

export interface FakeJobControlPlane {
  url: string
  /** Replaces the node's assignment set (a new etag; held polls answer at once). */
  setJobs: (jobs: Assignment[]) => void
  events: Array<{ jobId: number, event: JobRunEvent }>
  /** The log bytes stored for job:run. */
  log: (jobId: number, run: number) => Buffer
  /** Pretends the control plane already holds these bytes of a log (a resend must start after them). */
  seedLog: (jobId: number, run: number, bytes: Buffer) => void
  /** The next n requests to the events route answer 503. */
  failEvents: (n: number) => void
  requests: Array<{ method: string, path: string, bearer: string | null }>
  close: () => Promise<void>
}

/**
 * The control plane's side of shared/wire/job-execution.ts, small and on loopback: the long
 * poll (holds while `known` is current, up to wait_s), run events, and log uploads with the
 * offset check (409 LOG_OFFSET_MISMATCH, details.offset = what it has).
 */
export async function startFakeJobControlPlane (apiKey: string): Promise<FakeJobControlPlane> {
  let jobs: Assignment[] = []
  let version = 1
  let eventFailures = 0
  const waiters = new Set<() => void>()
  const logs = new Map<string, Buffer>()
  const events: FakeJobControlPlane['events'] = []
  const requests: FakeJobControlPlane['requests'] = []
  const json = (res: ServerResponse, status: number, body: unknown): void => { res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body)) }
  const error = (res: ServerResponse, status: number, code: string, details?: object): void => json(res, status, { statusCode: status, code, error: 'x', message: code, ...(details ? { details } : {}) })

  async function handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x')
    const bearer = req.headers.authorization?.replace(/^Bearer /, '') ?? null
    requests.push({ method: req.method ?? '', path: url.pathname, bearer })
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const body = Buffer.concat(chunks)
    if (bearer !== apiKey) return error(res, 401, 'UNAUTHORIZED')
    if (req.method === 'GET' && url.pathname === AGENT_ASSIGNMENTS_PATH) {
      if (url.searchParams.get('known') === `v${version}`) {
        const waitMs = Number(url.searchParams.get('wait_s')) * 1000
        await new Promise<void>(resolve => { const done = (): void => { clearTimeout(timer); waiters.delete(done); resolve() }; const timer = setTimeout(done, waitMs); waiters.add(done) })
      }
      return json(res, 200, { node_id: 1, etag: `v${version}`, jobs })
    }
    const m = /^\/api\/agent\/jobs\/(\d+)\/(events|logs)$/.exec(url.pathname)
    if (req.method === 'POST' && m !== null) {
      const jobId = Number(m[1])
      if (m[2] === 'events') {
        if (eventFailures > 0) { eventFailures--; return error(res, 503, 'UNAVAILABLE') }
        events.push({ jobId, event: JSON.parse(body.toString('utf8')) as JobRunEvent })
        return json(res, 200, { ok: true, job_status: 'running' })
      }
      const key = `${jobId}:${url.searchParams.get('run')}`
      const have = logs.get(key) ?? Buffer.alloc(0)
      if (Number(url.searchParams.get('offset')) !== have.length) return error(res, 409, 'LOG_OFFSET_MISMATCH', { offset: have.length })
      logs.set(key, Buffer.concat([have, body]))
      return json(res, 200, { ok: true, offset: have.length + body.length })
    }
    error(res, 404, 'NOT_FOUND')
  }

  const server = createServer((req, res) => { handle(req, res).catch(() => res.destroy()) })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setJobs (next) { jobs = next; version++; for (const w of [...waiters]) w() },
    events,
    log: (jobId, run) => logs.get(`${jobId}:${run}`) ?? Buffer.alloc(0),
    seedLog: (jobId, run, bytes) => { logs.set(`${jobId}:${run}`, bytes) },
    failEvents (n) { eventFailures = n },
    requests,
    async close () {
      for (const w of [...waiters]) w()
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => resolve()))
    },
  }
}
