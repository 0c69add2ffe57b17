import type { Test } from 'tap'
import type { SlurmJobRecord } from '../../../control-plane/store/slurm-repository.ts'
import { freshStore, type StoreFactory } from './fresh-store.ts'

const T0 = Date.UTC(2026, 5, 1)
const HOUR = 3_600_000

const rec = (jobId: number, o: Partial<SlurmJobRecord> = {}): SlurmJobRecord => ({
  cluster: 'c1', jobId, step: '', name: `j${jobId}`, user: 'alice', account: 'lab', partition: 'gpu', state: 'RUNNING',
  submittedAt: T0, startedAt: T0 + HOUR, endedAt: null, gpus: 2, final: false, observedAt: T0 + 2 * HOUR, ...o,
})
const done = (jobId: number, o: Partial<SlurmJobRecord> = {}) => rec(jobId, { state: 'COMPLETED', final: true, endedAt: T0 + 3 * HOUR, observedAt: T0 + 4 * HOUR, ...o })

/** The Slurm repository's contract, run by every engine (slurm.test.ts, slurm.postgres.test.ts). */
export function slurmSuite (t: Test, openStore: StoreFactory): void {
  const fresh = freshStore(openStore)
  const repo = async (t: Test) => (await fresh(t)).slurm
  const all = { since: 0, until: 8.64e15 }

  t.test('upsert by (cluster, job id, step): a job seen running and again ended is one row, now final', async t => {
    const r = await repo(t)
    t.same(await r.upsertJobs([rec(1), rec(1, { step: 'batch', name: 'batch' }), rec(2, { cluster: 'c2' })]), { written: 3, kept: 0 })
    t.same(await r.upsertJobs([rec(1, { observedAt: T0 + 3 * HOUR })]), { written: 1, kept: 0 }, 'still running: updated')
    t.same(await r.upsertJobs([done(1)]), { written: 1, kept: 0 })
    const jobs = await r.listJobs(all)
    t.same(jobs.map(j => [j.cluster, j.jobId, j.state, j.final]), [['c1', 1, 'COMPLETED', true], ['c2', 2, 'RUNNING', false]], 'one row per job, ordered by cluster then id')
    t.same(jobs[0], done(1), 'every field round-trips')
    t.same((await r.listSteps('c1', 1)).map(s => s.step), ['batch'], 'steps apart from the allocation')
  })

  t.test('a final row is never replaced by an older or equal snapshot; a later run of the job id (requeue) replaces it', async t => {
    const r = await repo(t)
    await r.upsertJobs([done(1)])
    t.same(await r.upsertJobs([rec(1)]), { written: 0, kept: 1 }, 'a late RUNNING snapshot is ignored')
    t.same(await r.upsertJobs([done(1)]), { written: 0, kept: 1 }, 'a repeated import writes nothing')
    t.equal((await r.listJobs(all))[0]!.state, 'COMPLETED')
    await r.upsertJobs([rec(1, { state: 'RUNNING', startedAt: T0 + 5 * HOUR, observedAt: T0 + 6 * HOUR })])
    t.match((await r.listJobs(all))[0], { state: 'RUNNING', startedAt: T0 + 5 * HOUR, final: false }, 'requeued and running again')
  })

  t.test('listJobs: allocations that touch the window; pending jobs by submit time', async t => {
    const r = await repo(t)
    await r.upsertJobs([
      done(1),
      done(2, { startedAt: T0 + 10 * HOUR, endedAt: T0 + 11 * HOUR }),
      rec(3, { state: 'PENDING', startedAt: null, submittedAt: T0 + 20 * HOUR, observedAt: T0 + 21 * HOUR }),
    ])
    const ids = async (since: number, until: number) => (await r.listJobs({ since, until })).map(j => j.jobId)
    t.same(await ids(T0, T0 + 2 * HOUR), [1])
    t.same(await ids(T0 + 3 * HOUR, T0 + 10 * HOUR), [1], 'end is inclusive of the since edge, start exclusive of until')
    t.same(await ids(T0 + 10 * HOUR, T0 + 30 * HOUR), [2, 3])
    t.same(await ids(T0 + 22 * HOUR, T0 + 30 * HOUR), [], 'a pending job lives until it was last seen')
  })

  t.test('oldest open job and the import state per source', async t => {
    const r = await repo(t)
    t.equal(await r.oldestOpenJob(), null)
    await r.upsertJobs([done(1), rec(2, { startedAt: T0 + 5 * HOUR }), rec(3, { startedAt: null, submittedAt: T0 + 2 * HOUR })])
    t.equal(await r.oldestOpenJob(), T0 + 2 * HOUR)
    t.equal(await r.getImportState('sacct'), null)
    t.equal(await r.latestImportState(), null)
    await r.recordAttempt('sacct', T0, 'SLURM_UNREACHABLE: down')
    t.same(await r.getImportState('sacct'), { source: 'sacct', cursorAt: null, lastAttemptAt: T0, lastSuccessAt: null, lastError: 'SLURM_UNREACHABLE: down', lastImported: 0 })
    await r.recordSuccess('sacct', T0 + HOUR, T0 + HOUR, 7)
    t.same(await r.getImportState('sacct'), { source: 'sacct', cursorAt: T0 + HOUR, lastAttemptAt: T0 + HOUR, lastSuccessAt: T0 + HOUR, lastError: null, lastImported: 7 })
    await r.recordAttempt('sacct', T0 + 2 * HOUR, 'SLURM_UNREACHABLE: again')
    t.match(await r.getImportState('sacct'), { cursorAt: T0 + HOUR, lastSuccessAt: T0 + HOUR, lastAttemptAt: T0 + 2 * HOUR, lastError: /again/ }, 'a failure keeps the cursor and the last success')
    await r.recordSuccess('http://slurm:6820', T0 + 3 * HOUR, T0 + 3 * HOUR, 1)
    t.equal((await r.latestImportState())!.source, 'http://slurm:6820', 'the latest attempt across sources')
  })
}
