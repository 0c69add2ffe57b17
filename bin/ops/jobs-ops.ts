import type { FleetOp } from '../fleet-action.ts'
import type { Job, JobKind, JobStatus } from '../../shared/sdk/control-plane-types.ts'
import { once } from 'node:events'
import { MAX_LOG_TAIL_LINES } from '../../shared/wire/job-logs.ts'
import { oneOf, positiveInt, usageError } from './cli-error.ts'
import { formatTable, type Column } from './print-table.ts'
import { PENDING_REASON_TEXT } from './pending-reason-text.ts'

const STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled', 'blocked']
const KINDS = ['training', 'benchmark', 'compute', 'inference', 'endpoint']

const COLUMNS: ReadonlyArray<Column<Job>> = [
  ['ID', j => j.id], ['NAME', j => j.name], ['STATUS', j => j.status], ['WHY PENDING', j => j.pendingReason], ['GPUS', j => j.gpuCount],
  ['TYPE', j => j.gpuType], ['PRIO', j => j.priority], ['TENANT', j => j.tenantId], ['CLUSTER', j => j.clusterId], ['SUBMITTED', j => j.submittedAt],
]

/** --status queued,running: each value checked; several mean one API call each (it takes one). */
function statusesOf (value: unknown): JobStatus[] {
  if (value === undefined) return []
  const list = String(value).split(',').map(s => s.trim())
  const bad = list.filter(s => !STATUSES.includes(s))
  if (bad.length > 0 || list.length === 0) throw usageError(`--status must be one or more of ${STATUSES.join(', ')} (comma-separated), got ${JSON.stringify(value)}`)
  return [...new Set(list)] as JobStatus[]
}

/** `--env NAME=VALUE` flags as a map; the control plane judges names and values. */
function envOf (flags: unknown): Record<string, string> | undefined {
  const list = Array.isArray(flags) ? flags.map(String) : []
  if (list.length === 0) return undefined
  const env: Record<string, string> = {}
  for (const item of list) {
    const eq = item.indexOf('=')
    if (eq < 1) throw usageError(`--env must be NAME=VALUE, got ${JSON.stringify(item)}`)
    env[item.slice(0, eq)] = item.slice(eq + 1)
  }
  return env
}

export const submitJob: FleetOp = async (ctx, command, o) => {
  const str = (v: unknown) => v === undefined ? undefined : String(v)
  const env = envOf(o.env)
  const workdir = str(o.workdir)
  if (command.length === 0 && (env !== undefined || workdir !== undefined)) throw usageError('--env and --workdir need a command (after --)')
  const job = await ctx.controlPlane().submitJob({
    clusterId: positiveInt(str(o.cluster), '--cluster') ?? 0,
    name: String(o.name),
    gpuCount: positiveInt(str(o.gpus), '--gpus'),
    gpuType: str(o.gpuType),
    priority: positiveInt(str(o.priority), '--priority'),
    tenantId: positiveInt(str(o.tenant), '--tenant'),
    kind: oneOf(o.kind, KINDS, '--kind') as JobKind | undefined,
    estimatedDurationMin: positiveInt(str(o.estimatedMinutes), '--estimated-minutes'),
    timeLimitMin: positiveInt(str(o.timeLimit), '--time-limit'),
    ...(command.length > 0 && { command, ...(env !== undefined && { env }), ...(workdir !== undefined && { workdir }) }),
  })
  ctx.print(job, () => `job ${job.id} submitted: ${job.status}${job.pendingReason === null ? '' : ` (${job.pendingReason}: ${PENDING_REASON_TEXT[job.pendingReason]})`}\n`)
}

export const listJobs: FleetOp = async (ctx, _args, o) => {
  const statuses = statusesOf(o.status)
  const query = {
    tenantId: positiveInt(o.tenant as string | undefined, '--tenant'),
    clusterId: positiveInt(o.cluster as string | undefined, '--cluster'),
    limit: positiveInt(o.limit as string | undefined, '--limit'),
  }
  const client = ctx.controlPlane()
  const pages = await Promise.all((statuses.length === 0 ? [undefined] : statuses).map(async status => {
    if (o.all !== true) return await client.listJobs({ ...query, status })
    const jobs: Job[] = []
    for await (const job of client.iterateJobs({ ...query, status, limit: query.limit ?? 500 })) jobs.push(job)
    return { jobs, total: jobs.length, nextOffset: null }
  }))
  // Merged newest first, as one call lists them (id descending), then cut to the page size.
  const merged = pages.flatMap(p => p.jobs).sort((a, b) => b.id - a.id)
  const jobs = o.all === true ? merged : merged.slice(0, query.limit ?? 50)
  const total = pages.reduce((n, p) => n + p.total, 0)
  if (!ctx.json && o.all !== true && jobs.length < total) process.stderr.write(`showing ${jobs.length} of ${total}; --all for every job\n`)
  ctx.print(jobs, () => formatTable(jobs, COLUMNS))
}

export const showJob: FleetOp = async (ctx, [id]) => {
  const job = await ctx.controlPlane().getJob(positiveInt(id, 'job id') ?? 0)
  ctx.print(job, () => {
    const lines = [
      `job ${job.id}  ${job.name}`,
      `status      ${job.status}`,
      ...(job.pendingReason === null ? [] : [`pending     ${job.pendingReason}: ${PENDING_REASON_TEXT[job.pendingReason]}`]),
      ...(job.blockReason === null ? [] : [`hold reason ${job.blockReason}`]),
      `gpus        ${job.gpuCount}${job.gpuType === null ? '' : ` × ${job.gpuType}`}  priority ${job.priority}  kind ${job.kind}`,
      `cluster     ${job.clusterId}  tenant ${job.tenantId ?? '-'}  submitted by ${job.submittedBy ?? '-'}`,
      `submitted   ${job.submittedAt}  started ${job.startedAt ?? '-'}  ended ${job.endedAt ?? '-'}${job.endReason === null ? '' : ` (${job.endReason})`}`,
      ...(job.timeLimitMin === null ? [] : [`time limit  ${job.timeLimitMin} min`]),
    ]
    const gpus = job.gpus.length === 0 ? '' : `\n${formatTable(job.gpus, [['NODE', g => g.hostname], ['GPU', g => g.gpuIndex], ['MODEL', g => g.model], ['ASSIGNED', g => g.assignedAt], ['RELEASED', g => g.releasedAt]])}`
    const events = job.events.length === 0 ? '' : `\n${formatTable(job.events, [['AT', e => e.at], ['EVENT', e => e.kind], ['GPU', e => e.gpuId], ['NODE', e => e.nodeId]])}`
    return `${lines.join('\n')}\n${gpus}${events}`
  })
}

/** The API's operator hold: status blocked, pending reason OPERATOR_HOLD, until released. */
export const holdJob: FleetOp = async (ctx, [id], o) => {
  const job = await ctx.controlPlane().holdJob(positiveInt(id, 'job id') ?? 0, o.reason === undefined ? undefined : String(o.reason))
  ctx.print(job, () => `job ${job.id} held (${job.status}${job.blockReason === null ? '' : `: ${job.blockReason}`}); gpufleet jobs release ${job.id} puts it back in the queue\n`)
}

export const releaseJob: FleetOp = async (ctx, [id]) => {
  const job = await ctx.controlPlane().releaseJob(positiveInt(id, 'job id') ?? 0)
  ctx.print(job, () => `job ${job.id} released: ${job.status}${job.pendingReason === null ? '' : ` (${job.pendingReason})`}\n`)
}

export const cancelJob: FleetOp = async (ctx, [id]) => {
  const job = await ctx.controlPlane().cancelJob(positiveInt(id, 'job id') ?? 0)
  ctx.print(job, () => `job ${job.id} ${job.status}\n`)
}

/** Raw bytes to stdout as they come (--json does not apply: a log is text); a note on stderr when the head was dropped. */
export const jobLogs: FleetOp = async (ctx, [id], o) => {
  const tail = positiveInt(o.tail as string | undefined, '--tail')
  if (tail !== undefined && tail > MAX_LOG_TAIL_LINES) throw usageError(`--tail must be at most ${MAX_LOG_TAIL_LINES}, got ${tail}`)
  const log = await ctx.controlPlane().streamJobLog(positiveInt(id, 'job id') ?? 0, { ...(tail === undefined ? {} : { tail }), follow: o.follow === true })
  if (log.truncatedBytes > 0 && tail === undefined) process.stderr.write(`gpufleet: the log's first ${log.truncatedBytes} bytes were dropped (--job-log-retain on the control plane)\n`)
  for await (const bytes of log) {
    if (!process.stdout.write(bytes)) await once(process.stdout, 'drain')
  }
  // Flushed before runFleetCommand exits: a pipe's writes are asynchronous.
  await new Promise<void>(resolve => process.stdout.write('', () => resolve()))
}
