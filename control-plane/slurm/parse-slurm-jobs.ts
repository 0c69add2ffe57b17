import type { SlurmJobRecord } from '../store/slurm-repository.ts'
import { SlurmImportError } from './slurm-import-error.ts'

/**
 * Slurm states after which a job's accounting no longer changes. Everything else (PENDING,
 * RUNNING, SUSPENDED, REQUEUED, COMPLETING, …) is re-imported until it reaches one of these.
 */
const FINAL_STATES = new Set(['COMPLETED', 'CANCELLED', 'FAILED', 'TIMEOUT', 'NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL',
  'DEADLINE', 'OUT_OF_MEMORY', 'REVOKED'])

/**
 * The jobs of a slurmdb jobs answer (`sacct --json`, or slurmrestd's GET /slurmdb/v0.0.3x/jobs)
 * as one record per job allocation (step '') plus one per step. Both data_parser shapes are
 * read: Slurm 22.05's (v0.0.38: times are numbers, `state.current` a string) and 23.02+'s
 * (times `{ set, infinite, number }`, states arrays of flags). GPUs are the allocated TRES
 * `gres/gpu` (typed `gres/gpu:a100` entries repeat it and are not added). The answer may list a
 * requeued job more than once: the latest run wins. A document that is not a slurmdb jobs
 * answer throws SLURM_BAD_ANSWER; one bad job is skipped and named in `skipped`.
 */
export function parseSlurmJobs (text: string, observedAt: number): { records: SlurmJobRecord[], skipped: string[], errors: string[] } {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch {
    throw new SlurmImportError('SLURM_BAD_ANSWER', `Slurm's answer is not JSON (${text.slice(0, 80).replace(/\s+/g, ' ')}…)`)
  }
  const jobs = (doc as { jobs?: unknown })?.jobs
  if (!Array.isArray(jobs)) throw new SlurmImportError('SLURM_BAD_ANSWER', 'Slurm\'s answer has no "jobs" array')
  const errors = slurmErrors(doc)
  const latest = new Map<string, SlurmJobRecord[]>()
  const skipped: string[] = []
  for (const [i, job] of jobs.entries()) {
    const rows = jobRecords(job, observedAt)
    if (rows === null) { skipped.push(`jobs[${i}]`); continue }
    const key = `${rows[0]!.cluster}\u0000${rows[0]!.jobId}`
    const seen = latest.get(key)
    if (seen === undefined || runAt(rows[0]!) >= runAt(seen[0]!)) latest.set(key, rows)
  }
  return { records: [...latest.values()].flat(), skipped, errors }
}

const runAt = (r: SlurmJobRecord): number => r.startedAt ?? r.submittedAt ?? 0

function jobRecords (job: any, observedAt: number): SlurmJobRecord[] | null {
  if (typeof job !== 'object' || job === null) return null
  const jobId = Number(job.job_id)
  if (!Number.isSafeInteger(jobId) || jobId < 0) return null
  const cluster = str(job.cluster) ?? str(job.association?.cluster) ?? ''
  const state = stateOf(job.state)
  const time = job.time ?? {}
  const submittedAt = instant(time.submission)
  const startedAt = instant(time.start)
  const final = FINAL_STATES.has(state)
  const endedAt = final ? instant(time.end) ?? startedAt : null
  const base = {
    cluster,
    jobId,
    user: str(job.user) ?? str(job.association?.user),
    account: str(job.account) ?? str(job.association?.account),
    partition: str(job.partition) ?? str(job.association?.partition),
    observedAt,
  }
  const out: SlurmJobRecord[] = [{
    ...base,
    step: '',
    name: str(job.name) ?? '',
    state,
    submittedAt,
    startedAt,
    endedAt,
    gpus: gpusOf(job.tres?.allocated),
    final,
  }]
  for (const s of Array.isArray(job.steps) ? job.steps : []) {
    const step = stepIdOf(s?.step, jobId)
    if (step === null) continue
    const stepState = stateOf(s.state)
    const stepFinal = final || FINAL_STATES.has(stepState)
    const stepStart = instant(s.time?.start)
    out.push({
      ...base,
      step,
      name: str(s.step?.name) ?? step,
      state: stepState,
      submittedAt: null,
      startedAt: stepStart,
      endedAt: stepFinal ? instant(s.time?.end) ?? stepStart : null,
      gpus: gpusOf(s.tres?.allocated),
      final: stepFinal,
    })
  }
  return out
}

/** '5.batch' or { id: 'batch' } or { id: { job_id, step_id: 'batch' } } → 'batch'. */
function stepIdOf (step: any, jobId: number): string | null {
  const id = step?.id
  let s: string | null = null
  if (typeof id === 'string') s = id
  else if (typeof id === 'number') s = String(id)
  else if (typeof id === 'object' && id !== null) s = str(id.step_id) ?? (typeof id.step_id === 'number' ? String(id.step_id) : null)
  if (s === null || s === '') return null
  const prefix = `${jobId}.`
  return s.startsWith(prefix) ? s.slice(prefix.length) : s
}

/** 'COMPLETED', ['COMPLETED'], { current: 'COMPLETED' } or { current: ['CANCELLED'] } → 'COMPLETED'. */
function stateOf (v: any): string {
  const cur = typeof v === 'object' && v !== null && !Array.isArray(v) ? v.current : v
  const first = Array.isArray(cur) ? cur[0] : cur
  return typeof first === 'string' && first !== '' ? first.toUpperCase() : 'UNKNOWN'
}

/** Seconds since the epoch (a number, or `{ set, infinite, number }`); 0 and unset are null. */
function instant (v: any): number | null {
  let n: unknown = v
  if (typeof v === 'object' && v !== null) n = v.set === false || v.infinite === true ? null : v.number
  const s = Number(n)
  return n === null || n === undefined || !Number.isFinite(s) || s <= 0 ? null : s * 1000
}

function gpusOf (allocated: any): number {
  if (!Array.isArray(allocated)) return 0
  let n = 0
  for (const t of allocated) {
    if (t?.type === 'gres' && t.name === 'gpu') n += Math.max(0, Number(t.count) || 0)
  }
  return n
}

function str (v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null
}

/** What slurmrestd lists under `errors` (an answer may carry jobs and errors together). */
function slurmErrors (doc: any): string[] {
  const list = Array.isArray(doc?.errors) ? doc.errors : []
  return list.map((e: any) => [str(e?.error), str(e?.description)].filter(x => x !== null).join(': ') || JSON.stringify(e).slice(0, 200))
}
