import t from 'tap'
import { buildSlurmReport } from '../../../control-plane/slurm/build-slurm-report.ts'
import type { SlurmJobRecord } from '../../../control-plane/store/slurm-repository.ts'

const HOUR = 3_600_000
const job = (jobId: number, o: Partial<SlurmJobRecord>): SlurmJobRecord => ({
  cluster: 'c', jobId, step: '', name: 'j', user: 'u', account: 'a', partition: 'p', state: 'COMPLETED',
  submittedAt: null, startedAt: null, endedAt: null, gpus: 1, final: true, observedAt: 0, ...o,
})

t.test('GPU time is cut at local midnight across a DST change (a 23-hour day), each job counted on its start day', async t => {
  // New York springs forward on 2026-03-08: that local day has 23 hours.
  const since = Date.parse('2026-03-07T05:00:00Z') // 03-07 00:00 EST
  const until = Date.parse('2026-03-10T04:00:00Z') // 03-10 00:00 EDT
  const r = buildSlurmReport([
    job(1, { startedAt: since, endedAt: until, gpus: 2 }),
    job(2, { startedAt: since - 10 * HOUR, endedAt: since + HOUR, gpus: 4 }),
    job(3, { state: 'RUNNING', final: false, startedAt: until - HOUR, endedAt: null, observedAt: until + 5 * HOUR, gpus: 1 }),
    job(4, { state: 'CANCELLED', startedAt: null, submittedAt: since + 30 * HOUR, endedAt: since + 31 * HOUR, gpus: 8 }),
  ], { tz: 'America/New_York', since, until })
  t.same(r.rows.map(d => [d.date, d.jobs, d.gpu_jobs, d.gpu_seconds / 3600]), [
    ['2026-03-07', 1, 1, 2 * 24 + 4],
    ['2026-03-08', 1, 1, 2 * 23],
    ['2026-03-09', 1, 1, 2 * 24 + 1],
  ], 'job 2 started before the window: its GPU time inside counts, the job does not')
  t.same(r.totals, { jobs: 3, gpu_jobs: 3, gpu_seconds: (2 * 71 + 4 + 1) * 3600, gpu_hours: 147 })
  t.same(r.by_state.map(g => [g.key, g.jobs, g.gpu_hours]), [['COMPLETED', 1, 146], ['RUNNING', 1, 1], ['CANCELLED', 1, 0]])
})

t.test('an empty window and no jobs: days listed with zeros', async t => {
  const r = buildSlurmReport([], { tz: 'UTC', since: Date.UTC(2026, 0, 1), until: Date.UTC(2026, 0, 3) })
  t.same(r.rows.map(d => [d.date, d.jobs, d.gpu_hours]), [['2026-01-01', 0, 0], ['2026-01-02', 0, 0]])
  t.same(r.totals, { jobs: 0, gpu_jobs: 0, gpu_seconds: 0, gpu_hours: 0 })
  t.same(buildSlurmReport([], { tz: 'UTC', since: 5, until: 5 }).rows, [])
})
