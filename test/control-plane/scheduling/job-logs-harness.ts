import type { Test } from 'tap'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import { createScheduler } from '../../../control-plane/scheduling/create-scheduler.ts'
import { createJobsRouter } from '../../../control-plane/scheduling/create-jobs-router.ts'
import { createTenantsRouter } from '../../../control-plane/scheduling/create-tenants-router.ts'
import { JOB_LOG_UPLOAD_PATH } from '../../../control-plane/scheduling/register-job-log-routes.ts'
import { MAX_LOG_CHUNK_BYTES, agentJobLogsPath } from '../../../shared/wire/job-execution.ts'
import type { Timers } from '../../../shared/timers.ts'
import { cpHarness, type Res } from '../cp-harness.ts'
import { fakeClock } from '../fleet/fleet-harness.ts'
import { memoryLog } from '../router-harness.ts'
import { addCluster } from './fleet-fixture.ts'

export const POLL_MS = 1000
export const SETTLE_MS = 3000

/**
 * The jobs router (with its log routes) as productParts mounts it, on an in-memory store and a
 * hand-driven clock: one cluster with one node and a running job of tenant "a" on it, a
 * cluster-bound agent key for it, and another cluster's key. `liveTimers` counts the log
 * routes' pending timers (a follower that left must leave none).
 */
export async function jobLogsHarness (t: Test, opts: { retainBytes?: number, closing?: AbortSignal } = {}) {
  const clock = fakeClock()
  const store = await openSqliteStore(':memory:')
  const { log } = memoryLog()
  const scheduler = createScheduler({ store, now: clock.now, log, timers: clock.timers, debounceMs: 200, staleAfterMs: 60_000 })
  t.teardown(async () => { await scheduler.stop(); await store.close() })
  const live = new Set<unknown>()
  const timers: Timers = {
    setTimeout: (fn, ms) => {
      const handle = clock.timers.setTimeout(() => { live.delete(handle); fn() }, ms)
      live.add(handle)
      return handle
    },
    clearTimeout: handle => { live.delete(handle); clock.timers.clearTimeout(handle) },
  }
  const h = await cpHarness(t, {
    store,
    log,
    now: clock.now,
    routers: [
      { path: '/', router: ctx => createTenantsRouter({ ...ctx, scheduler }) },
      {
        path: '/',
        router: ctx => createJobsRouter({ ...ctx, scheduler, ...(opts.closing === undefined ? {} : { closing: opts.closing }), jobLogs: { timers, pollMs: POLL_MS, settleMs: SETTLE_MS, ...(opts.retainBytes === undefined ? {} : { retainBytes: opts.retainBytes }) } }),
        bodyLimits: [{ prefix: '/api/agent/jobs', bytes: MAX_LOG_CHUNK_BYTES }],
        rawBodyPaths: [JOB_LOG_UPLOAD_PATH],
      },
    ],
  })
  scheduler.start()
  const idle = async () => { for (let i = 0; i < 20; i++) await new Promise(resolve => setImmediate(resolve)) }
  const settle = async () => { await clock.advance(200); await idle() }

  const c = await addCluster(store, 'lab', [{ gpus: 2 }], clock.now())
  const other = await addCluster(store, 'other', [{ gpus: 1 }], clock.now())
  const hostname = (await store.fleet.listNodes({ clusterId: c.clusterId }))[0]!.hostname
  const otherHostname = (await store.fleet.listNodes({ clusterId: other.clusterId }))[0]!.hostname
  const tenantA = (await h.req('POST', '/api/tenants', { key: h.root, body: { name: 'a', gpu_quota: 4 } })).body.id as number
  const tenantB = (await h.req('POST', '/api/tenants', { key: h.root, body: { name: 'b', gpu_quota: 4 } })).body.id as number
  const agentKey = (await h.mint(['ingest'], { cluster_id: c.clusterId })).key
  const otherKey = (await h.mint(['ingest'], { cluster_id: other.clusterId })).key
  const keyOf = async (tenantId: number) => (await h.mint(['read'], { tenant_id: tenantId, label: `t${tenantId}` })).key

  /** A job of tenant "a" on the lab cluster, started by the scheduler; returns its id and run. */
  const runningJob = async (): Promise<{ id: number, run: number }> => {
    const res = await h.req('POST', '/api/jobs', { key: h.root, body: { cluster_id: c.clusterId, name: 'j', tenant_id: tenantA } })
    await settle()
    const job = (await h.req('GET', `/api/jobs/${res.body.id}`, { key: h.root })).body
    if (job.status !== 'running') throw new Error(`job not running: ${JSON.stringify(job)}`)
    return { id: job.id, run: Date.parse(job.started_at) }
  }

  const upload = (jobId: number, q: { run: number, offset: number, hostname?: string }, body: string, o: { key?: string, type?: string } = {}): Promise<Res> =>
    h.req('POST', `${agentJobLogsPath(jobId)}?hostname=${encodeURIComponent(q.hostname ?? hostname)}&run=${q.run}&offset=${q.offset}`,
      { key: o.key ?? agentKey, body, headers: { 'content-type': o.type ?? 'application/octet-stream' } })

  /** GET with follow: the response as it streams (never read whole by the harness). */
  const follow = async (path: string, key = h.root): Promise<Response> => {
    const env = { incoming: { socket: { remoteAddress: '192.0.2.1', remotePort: 40000, remoteFamily: 'IPv4' } } }
    return h.app.request(path, { headers: { authorization: `Bearer ${key}` } }, env)
  }

  return { h, store, clock, idle, settle, hostname, otherHostname, agentKey, otherKey, tenantA, tenantB, keyOf, runningJob, upload, follow, liveTimers: () => live.size }
}

/** Reads a streamed body in the background: what came so far, and whether it ended. */
export function drain (res: Response) {
  const reader = res.body!.getReader()
  const decoder = new TextDecoder()
  let text = ''
  let done = false
  const finished = (async () => {
    for (;;) {
      const r = await reader.read()
      if (r.done) break
      text += decoder.decode(r.value, { stream: true })
    }
    done = true
  })()
  return { text: () => text, done: () => done, finished, cancel: () => reader.cancel() }
}
