import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import { stream } from 'hono/streaming'
import { API_KEY_SECURITY } from '../http/api-key-security.ts'
import { errorResponses } from '../http/error-responses.ts'
import type { CpEnv, RequireScope } from '../http/cp-env.ts'
import type { Store } from '../store/store.ts'
import { ENDED_STATUSES } from '../store/job-repository.ts'
import { httpError } from '../../shared/error-codes.ts'
import { realTimers, type Timers } from '../../shared/timers.ts'
import type { Logger } from '../../shared/logger.ts'
import { idParamSchema } from '../../shared/wire/fleet-schemas.ts'
import { agentJobLogsPath, MAX_LOG_CHUNK_BYTES } from '../../shared/wire/job-execution.ts'
import { LOG_TRUNCATED_HEADER } from '../../shared/wire/job-logs.ts'
import { jobLogQuerySchema, logUploadQuerySchema, logUploadResultSchema } from '../../shared/wire/job-log-schemas.ts'
import { createLogNotifier } from './create-log-notifier.ts'
import { followJobLog } from './follow-job-log.ts'
import { clusterMismatch, nodeOwnedByOtherCluster } from '../fleet/cluster-binding-errors.ts'
import { tailLines } from './tail-lines.ts'

export interface JobLogOptions {
  /** Newest log bytes kept per job (--job-log-retain; default 8 MiB). */
  retainBytes?: number | undefined
  /** An ended job takes its log's tail this long after it ended (default 10 min). */
  acceptAfterEndMs?: number | undefined
  /** A follower re-reads at least this often (uploads to another replica; default 1 s). */
  pollMs?: number | undefined
  /** A follower of an ended job stops after this long without new bytes (default 3 s). */
  settleMs?: number | undefined
  timers?: Timers | undefined
}

export interface JobLogRouteDeps {
  store: Store
  requireScope: RequireScope
  now: () => number
  log?: Pick<Logger, 'warn'> | undefined
  jobLogs?: JobLogOptions | undefined
  /** Aborted when the server starts to stop (RouterContext.closing): followers end their streams. */
  closing?: AbortSignal | undefined
}

const ENDED = new Set<string>(ENDED_STATUSES)
const OCTETS = /^application\/octet-stream\s*(;|$)/i
const PLAIN_TEXT = 'text/plain; charset=utf-8'
const UPLOAD_PATH = agentJobLogsPath(0).replace('/0/', '/{id}/')

/** What createRouter's validation hook answers, for the route handled by hand. */
function valid<T extends z.ZodType> (schema: T, input: unknown): z.infer<T> {
  const r = schema.safeParse(input)
  if (r.success) return r.data
  const issues = r.error.issues.map(i => ({ path: i.path.join('.'), message: i.message }))
  throw httpError('VALIDATION_FAILED', `${issues[0]?.path ?? 'request'}: ${issues[0]?.message ?? 'invalid'}`, { issues })
}

/** The upload path as the JSON body guard matches it (its body is raw bytes, not JSON). */
export const JOB_LOG_UPLOAD_PATH = /^\/api\/agent\/jobs\/[0-9]+\/logs$/

/**
 * Executed jobs' logs (issue 15): agents upload their jobs' output in order (`offset` makes a
 * replayed chunk harmless and a lost one visible), and people read it, whole, as a tail, or
 * followed as it arrives, through the control plane; no inbound call to a GPU host.
 */
export function registerJobLogRoutes (app: OpenAPIHono<CpEnv>, deps: JobLogRouteDeps): void {
  const { store, requireScope, now } = deps
  const o = deps.jobLogs ?? {}
  const retainBytes = o.retainBytes ?? 8 * 1024 * 1024
  const acceptAfterEndMs = o.acceptAfterEndMs ?? 10 * 60_000
  const pollMs = o.pollMs ?? 1000
  const settleMs = o.settleMs ?? 3000
  const timers = o.timers ?? realTimers
  if (!Number.isInteger(retainBytes) || retainBytes < 1) throw new TypeError(`registerJobLogRoutes: retainBytes must be a positive integer, got ${retainBytes}`)
  const notifier = createLogNotifier(timers)

  app.openapi(createRoute({
    method: 'post', path: UPLOAD_PATH, tags: ['jobs'], security: API_KEY_SECURITY, middleware: [requireScope('ingest')] as const,
    description: 'An agent uploads its job\'s output (application/octet-stream, at most 256 KiB) for the job\'s current run, at `offset`: ' +
      'bytes already held are skipped (a replay), a chunk past them is 409 LOG_OFFSET_MISMATCH with details.offset (resend from there). ' +
      'The run must be the job\'s current one (409 STALE_RUN), on the hostname\'s node (409 JOB_ON_OTHER_NODE); an ended job takes ' +
      'its tail for 10 minutes (then 409 JOB_LOG_CLOSED). A cluster-bound key uploads for its own cluster\'s nodes only.',
    request: {
      params: idParamSchema,
      query: logUploadQuerySchema,
      body: { required: true, content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } } },
    },
    responses: {
      200: { description: 'Stored (or already held)', content: { 'application/json': { schema: logUploadResultSchema } } },
      ...errorResponses(400, 401, 403, 404, 409, 413, 415),
    },
  }), async c => {
    const id = Number(c.req.valid('param').id)
    const q = c.req.valid('query')
    const type = c.req.header('content-type') ?? ''
    if (!OCTETS.test(type)) throw httpError('UNSUPPORTED_MEDIA_TYPE', 'a log chunk is application/octet-stream', { content_type: type.slice(0, 100) })
    const tooLarge = () => httpError('PAYLOAD_TOO_LARGE', `a log chunk is at most ${MAX_LOG_CHUNK_BYTES} bytes`, { limit_bytes: MAX_LOG_CHUNK_BYTES })
    if (Number(c.req.header('content-length') ?? 0) > MAX_LOG_CHUNK_BYTES) throw tooLarge()
    const bytes = new Uint8Array(await c.req.arrayBuffer())
    if (bytes.length > MAX_LOG_CHUNK_BYTES) throw tooLarge()

    const node = await store.fleet.getNodeByHostname(q.hostname)
    if (node === null) throw httpError('NODE_NOT_FOUND', `no node with hostname ${JSON.stringify(q.hostname)}`)
    const bound = c.var.principal.clusterId ?? null
    if (bound !== null && node.clusterId !== bound) {
      const cluster = await store.fleet.getCluster(bound)
      throw cluster === null ? clusterMismatch(null, 'its cluster no longer exists') : nodeOwnedByOtherCluster(cluster, node.hostname)
    }
    const job = await store.jobs.get(id)
    if (job === null) throw httpError('JOB_NOT_FOUND', `no job with id ${id}`)
    const run = Number(q.run)
    if (job.startedAt !== run) throw httpError('STALE_RUN', `run ${run} is not job ${id}'s current run`, { run: job.startedAt })
    if (job.nodeId !== node.id) throw httpError('JOB_ON_OTHER_NODE', `job ${id}'s run ${run} is not on node "${node.hostname}"`, { job_id: id, hostname: node.hostname })
    if (ENDED.has(job.status) && job.endedAt !== null && now() - job.endedAt > acceptAfterEndMs) {
      throw httpError('JOB_LOG_CLOSED', `job ${id} ended more than ${Math.round(acceptAfterEndMs / 1000)} s ago`)
    }
    const result = await store.jobLogs.append({ jobId: id, run, offset: Number(q.offset), bytes, at: now() }, retainBytes)
    if (!result.ok) throw httpError('LOG_OFFSET_MISMATCH', `job ${id} run ${run} holds ${result.held} bytes; resend from there`, { offset: result.held })
    if (bytes.length > 0) notifier.notify(id)
    return c.json({ ok: true as const, offset: result.held }, 200)
  })

  // Documented here, handled by hand below: the answer is text (a stream with follow=1), which
  // zod-openapi's typed handlers do not return.
  const GET_PATH = '/api/jobs/{id}/logs'
  app.openAPIRegistry.registerPath({
    method: 'get', path: GET_PATH, tags: ['jobs'], security: API_KEY_SECURITY,
    description: 'The log of the job\'s latest run as text/plain: everything retained, or the last `tail` lines. `follow=1` keeps the ' +
      'response open and streams new output as agents upload it, until the job has ended and gone quiet (or the client leaves). ' +
      `${LOG_TRUNCATED_HEADER}: how many bytes of the head retention dropped (--job-log-retain). A tenant-bound key reads its own jobs only.`,
    request: { params: idParamSchema, query: jobLogQuerySchema },
    responses: {
      200: { description: 'The log (empty when there is none yet)', content: { 'text/plain': { schema: z.string() } } },
      ...errorResponses(400, 401, 403, 404),
    },
  })
  app.get(GET_PATH.replace('{id}', ':id'), requireScope('read'), async c => {
    const id = Number(valid(idParamSchema, c.req.param()).id)
    const q = valid(jobLogQuerySchema, c.req.query())
    const p = c.var.principal
    const job = await store.jobs.get(id)
    if (job === null || (p.tenantId !== null && job.tenantId !== p.tenantId)) throw httpError('JOB_NOT_FOUND', `no job with id ${id}`)
    let run = job.startedAt ?? await store.jobLogs.latestRun(id)
    const log = run === null ? null : await store.jobLogs.read(id, run)
    const all = log?.bytes ?? Buffer.alloc(0)
    const shown = q.tail === undefined ? all : tailLines(all, Number(q.tail))
    c.header('Content-Type', PLAIN_TEXT)
    c.header('Cache-Control', 'no-store')
    if (log !== null && log.dropped > 0) c.header(LOG_TRUNCATED_HEADER, String(log.dropped))
    if (q.follow !== '1' && q.follow !== 'true') return c.body(new Uint8Array(shown), 200)

    // Proxies (nginx) must pass the bytes on as they come.
    c.header('X-Accel-Buffering', 'no')
    return stream(c, async s => {
      const left = new AbortController()
      s.onAbort(() => left.abort())
      const gone = deps.closing === undefined ? left.signal : AbortSignal.any([left.signal, deps.closing])
      if (shown.length > 0) await s.write(new Uint8Array(shown))
      let movedOnAt: number | null = null
      await followJobLog({
        from: log === null ? 0 : log.from + log.bytes.length,
        read: async from => run === null ? null : store.jobLogs.read(id, run, from),
        endedAt: async () => {
          const j = await store.jobs.get(id)
          if (j === null) return now()
          if (ENDED.has(j.status)) return j.endedAt ?? now()
          // Not started when asked: follow the run it starts.
          if (run === null) {
            run = j.startedAt
            return null
          }
          // Requeued (or restarted) since: this run's log is complete.
          if (j.startedAt !== run) movedOnAt ??= now()
          return movedOnAt
        },
        write: async bytes => { await s.write(new Uint8Array(bytes)) },
        wait: ms => notifier.wait(id, ms, gone),
        stopped: () => gone.aborted,
        now,
        pollMs,
        settleMs,
      })
    }, async err => {
      // The headers are out: a failure mid-stream can only end it (the client sees the log stop).
      deps.log?.warn({ jobId: id, err: { message: err.message } }, 'job log follow ended by an error')
    })
  })
}
