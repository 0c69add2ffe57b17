import { agentJobLogsPath, MAX_LOG_CHUNK_BYTES } from '../../shared/wire/job-execution.ts'
import type { Logger } from '../../shared/logger.ts'
import { realTimers, type Timers } from '../../shared/timers.ts'
import type { Backoff } from '../uplink/create-backoff.ts'
import type { Upstream } from '../uplink/create-upstream.ts'
import { logEnd, readLog } from './job-log-file.ts'
import type { JobRecord, JobStateStore } from './open-job-state.ts'
import { readJobAnswer } from './read-job-answer.ts'

export interface LogUploaderOptions {
  upstream: Upstream
  store: JobStateStore
  hostname: string
  log: Logger
  backoff: Backoff
  timers?: Timers
  pollMs?: number
  chunkBytes?: number
  timeoutMs?: number
}

export interface LogUploader {
  start: () => void
  stop: () => Promise<void>
}

/**
 * Tails each job's log and uploads it in chunks of at most MAX_LOG_CHUNK_BYTES, each at the
 * offset the control plane acknowledged last (kept in the job state, so a restart resumes
 * there). 200 `{ok, offset}` moves the offset; 409 LOG_OFFSET_MISMATCH says where the control
 * plane is, and sending resumes from there. A log is done when the job and its session are
 * gone and every byte is acknowledged. Bytes rotated away before they were sent are skipped
 * (counted in log_skipped, warned about): the control plane's offsets then run behind ours.
 */
export function createLogUploader (o: LogUploaderOptions): LogUploader {
  const timers = o.timers ?? realTimers
  const pollMs = o.pollMs ?? 1000
  const chunkBytes = Math.min(o.chunkBytes ?? MAX_LOG_CHUNK_BYTES, MAX_LOG_CHUNK_BYTES)
  const abort = new AbortController()
  let running: Promise<void> | null = null
  let timer: unknown = null
  let stopped = false
  let failing = false

  const save = (): Promise<void> => o.store.save().catch((err: unknown) => o.log.error({ err: String(err) }, 'could not write the job state file'))

  function schedule (ms: number): void {
    if (stopped) return
    timer = timers.setTimeout(() => {
      timer = null
      running = uploadAll().then(wait => { running = null; schedule(wait) }, (err: unknown) => { running = null; o.log.error({ err: String(err) }, 'log upload failed'); schedule(o.backoff.next()) })
    }, ms)
  }

  /** One pass over every job's log; the delay before the next pass. */
  async function uploadAll (): Promise<number> {
    for (const r of [...o.store.data().jobs]) {
      if (stopped) break
      if (r.log_done) continue
      if (!await uploadOne(r)) return o.backoff.next()
    }
    return pollMs
  }

  /** False: the control plane did not answer; try again later. */
  async function uploadOne (r: JobRecord): Promise<boolean> {
    while (!stopped) {
      const position = r.log_offset + r.log_skipped
      const ended = r.exited && r.session_gone
      if (position >= logEnd(r.log, r.rotated_bytes)) {
        if (ended) { r.log_done = true; await save() }
        return true
      }
      const read = readLog(r.log, r.rotated_bytes, position, chunkBytes)
      if (read.kind === 'gap') {
        o.log.warn({ job: r.job_id, run: r.run, bytes: read.to - position }, 'log bytes were rotated away before they were uploaded (--job-log-max); skipped')
        r.log_skipped += read.to - position
        await save()
        continue
      }
      if (read.data.length === 0) return true
      const path = `${agentJobLogsPath(r.job_id)}?${new URLSearchParams({ hostname: o.hostname, run: String(r.run), offset: String(r.log_offset) })}`
      const answer = readJobAnswer(await o.upstream.request('POST', path, { body: read.data, contentType: 'application/octet-stream', timeoutMs: o.timeoutMs ?? 30_000, signal: abort.signal }))
      if (answer.kind === 'retry') {
        if (!failing && !stopped) o.log.warn({ job: r.job_id, status: answer.status, error: answer.error }, 'could not upload a job log; retrying with backoff')
        failing = true
        return false
      }
      failing = false
      o.backoff.reset()
      const offset = (answer.kind === 'ok' ? answer.body as { offset?: unknown } : answer.details).offset
      if (answer.kind === 'refused' && answer.code !== 'LOG_OFFSET_MISMATCH') {
        o.log.warn({ job: r.job_id, run: r.run, code: answer.code, message: answer.message }, 'the control plane refused this job\'s log; not uploading it further')
        r.log_done = true
      } else if (Number.isSafeInteger(offset) && (offset as number) >= 0) {
        r.log_offset = offset as number
      } else if (answer.kind === 'ok') {
        r.log_offset += read.data.length
      } else {
        return false
      }
      await save()
      if (r.log_done) return true
    }
    return true
  }

  return {
    start () { schedule(0) },
    async stop () {
      stopped = true
      if (timer !== null) timers.clearTimeout(timer)
      abort.abort()
      await running
    },
  }
}
