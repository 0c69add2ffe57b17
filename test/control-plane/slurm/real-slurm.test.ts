import t from 'tap'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { startTestSlurm } from '../../setup/slurm-cluster.ts'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import { createSacctSource } from '../../../control-plane/slurm/sacct-source.ts'
import { createSlurmRestSource } from '../../../control-plane/slurm/slurmrestd-source.ts'
import { importSlurmJobs } from '../../../control-plane/slurm/import-slurm-jobs.ts'
import { buildSlurmReport } from '../../../control-plane/slurm/build-slurm-report.ts'
import { SlurmImportError } from '../../../control-plane/slurm/slurm-import-error.ts'
import { closedUrl } from '../../helpers/closed-url.ts'
import { cpHarness } from '../cp-harness.ts'
import { productParts } from '../../../control-plane/product-parts.ts'

/**
 * Issue 16's proof on a real Slurm (Debian's 22.05 packages, started by test/setup/slurm-cluster.ts;
 * it throws if Slurm cannot start: never a skip): GPU jobs submitted with sbatch, imported through
 * sacct --json and through slurmrestd with a JWT, and the imported counts and GPU-hours compared
 * with what sacct itself reports for the same window.
 */
// Starting Slurm and running the jobs takes ~30 s alone; a loaded 2-core CI box may need more than .taprc's 120 s.
t.setTimeout(300_000)
const started = Date.now()
const slurm = await startTestSlurm()
t.comment(`Slurm up in ${Date.now() - started} ms`)
t.teardown(() => slurm.stop())

const sbatch = (...args: string[]): number => {
  const out = slurm.run('sbatch', ['--parsable', ...args])
  return Number(out.trim().split(';')[0])
}
const FINAL = /^(COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY)/

/** sacct's own view, parsed from its plain (-P) output: per job, state, gres/gpu and seconds run. */
function sacctJobs (since: number, until: number): Array<{ id: number, state: string, gpus: number, elapsed: number }> {
  const fmt = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)
  const out = slurm.run('sacct', ['-a', '-X', '-n', '-P', '--format=JobID,State,AllocTRES,ElapsedRaw', '-S', fmt(since), '-E', fmt(until)])
  return out.trim().split('\n').filter(l => l !== '').map(l => {
    const [id, state, tres, elapsed] = l.split('|')
    return { id: Number(id), state: state!.split(' ')[0]!, gpus: Number(/gres\/gpu=(\d+)/.exec(tres!)?.[1] ?? 0), elapsed: Number(elapsed) }
  })
}

async function until (what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise(r => setTimeout(r, 300))
  }
}

const t0 = Date.now() - 60_000
const sacct = createSacctSource({ sacct: 'sacct', env: { ...process.env, ...slurm.env } })
const rest = createSlurmRestSource({ url: slurm.restUrl, token: slurm.token })

t.test('GPU jobs on a real Slurm: imported by sacct and by slurmrestd, equal to what sacct reports', async t => {
  const dir = t.testdir()
  let store = await openSqliteStore(join(dir, 'a.db'))
  const viaRest = await openSqliteStore(join(dir, 'b.db'))
  t.teardown(() => viaRest.close())
  const ids = [
    sbatch('--gres=gpu:2', '-J', 'two', '--wrap', 'sleep 1'),
    sbatch('--gres=gpu:1', '-J', 'one', '--wrap', 'sleep 2'),
    sbatch('-J', 'cpu-only', '--wrap', 'true'),
    sbatch('--gres=gpu:4', '-J', 'four', '--wrap', 'sleep 1'),
  ]
  const long = sbatch('--gres=gpu:1', '-J', 'long', '--wrap', 'sleep 6')
  ids.push(long)

  // The long job is imported while it runs, and again once it ended: one row, counted once.
  await until('the long job to run', () => sacctJobs(t0, Date.now() + 60_000).find(j => j.id === long)?.state === 'RUNNING')
  const running = await importSlurmJobs({ repo: store.slurm, source: sacct, now: Date.now, backfillMs: 3_600_000 })
  t.ok(running.written >= 1)
  const seenRunning = (await store.slurm.listJobs({ since: t0, until: Date.now() + 60_000 })).find(j => j.jobId === long)
  t.match(seenRunning, { cluster: slurm.cluster, state: 'RUNNING', final: false, endedAt: null, gpus: 1 }, 'imported while running')

  await until('every job to end in the accounting', () => {
    const jobs = sacctJobs(t0, Date.now() + 60_000)
    return ids.every(id => FINAL.test(jobs.find(j => j.id === id)?.state ?? ''))
  }, 90_000)

  t.comment(`jobs done after ${Date.now() - started} ms`)
  // sbatch's default output is slurm-<id>.out in the submitting directory: the test's Slurm keeps it in its temp dir.
  for (const id of ids) {
    t.ok(existsSync(join(slurm.jobDir, `slurm-${id}.out`)), `job ${id}'s output is in the test Slurm's own directory`)
    t.notOk(existsSync(join(process.cwd(), `slurm-${id}.out`)), `job ${id} wrote no slurm-${id}.out in the working directory`)
  }
  // A restart: the store is closed and opened again; the import resumes from its cursor.
  const cursor = (await store.slurm.getImportState('sacct'))!.cursorAt
  await store.close()
  store = await openSqliteStore(join(dir, 'a.db'))
  t.teardown(() => store.close())
  const after = await importSlurmJobs({ repo: store.slurm, source: sacct, now: Date.now, backfillMs: 3_600_000 })
  t.ok(after.since <= cursor! && after.since >= cursor! - 5 * 60_000 - 1000, 'resumed from the cursor (less the overlap), not a backfill')
  const again = await importSlurmJobs({ repo: store.slurm, source: sacct, now: Date.now, backfillMs: 3_600_000 })
  t.equal(again.written, 0, 'nothing left to change: every job is final')
  t.ok(again.kept > 0)

  t.comment(`sacct imports done after ${Date.now() - started} ms`)
  await importSlurmJobs({ repo: viaRest.slurm, source: rest, now: Date.now, backfillMs: 3_600_000 })

  const window = { since: t0, until: Date.now() + 60_000 }
  const truth = sacctJobs(window.since, window.until).filter(j => ids.includes(j.id))
  t.equal(truth.length, ids.length, 'sacct lists every job')
  const expect = {
    jobs: truth.length,
    gpu_jobs: truth.filter(j => j.gpus > 0).length,
    gpu_seconds: truth.reduce((s, j) => s + j.gpus * j.elapsed, 0),
  }
  const byState = new Map<string, number>()
  for (const j of truth) byState.set(j.state, (byState.get(j.state) ?? 0) + 1)
  t.ok(expect.gpu_seconds > 0, `sacct reports ${expect.gpu_seconds} GPU-seconds`)

  for (const [name, s] of [['sacct', store], ['slurmrestd', viaRest]] as const) {
    const jobs = (await s.slurm.listJobs(window)).filter(j => ids.includes(j.jobId))
    t.equal(jobs.length, ids.length, `${name}: one allocation row per job, the long one included once`)
    const report = buildSlurmReport(jobs, { tz: 'UTC', ...window })
    t.match(report.totals, expect, `${name}: counts and GPU-seconds equal sacct's`)
    t.equal(report.totals.gpu_hours, Math.round(expect.gpu_seconds / 3600 * 10_000) / 10_000, `${name}: GPU-hours`)
    t.same(new Map(report.by_state.map(g => [g.key, g.jobs])), byState, `${name}: by state as sacct has it`)
    t.same(report.by_cluster.map(g => g.key), [slurm.cluster])
    t.same(report.by_partition.map(g => g.key), ['gpu'])
    t.same(report.by_user.map(g => g.key), ['root'])
    t.equal(report.rows.reduce((a, r) => a + r.gpu_seconds, 0), expect.gpu_seconds, `${name}: the days add up`)
    const steps = await s.slurm.listSteps(slurm.cluster, ids[0]!)
    t.match(steps, [{ step: 'batch', gpus: 2, final: true }], `${name}: the batch step is kept beside the allocation`)
  }
  // The same numbers through the console's route and page, as an admin session sees them.
  const h = await cpHarness(t, { store, routers: productParts().routers, now: Date.now, config: { slurmInterval: 'off' } })
  const login = await h.req('POST', '/login', { form: { key: h.root } })
  const cookie = /gpufleet_session=[^;]+/.exec(login.headers.get('set-cookie') ?? '')![0]
  const q = `since=${new Date(window.since).toISOString()}&until=${new Date(window.until).toISOString()}`
  const route = await h.req('GET', `/api/analytics/slurm?${q}`, { cookie })
  t.equal(route.status, 200)
  t.match(route.body, { stale: false, source: 'sacct', totals: { jobs: expect.jobs, gpu_jobs: expect.gpu_jobs, gpu_seconds: expect.gpu_seconds } }, 'GET /api/analytics/slurm')
  t.ok(route.body.age_s >= 0 && route.body.age_s < 600, 'with the age of the import')
  t.equal((await h.req('GET', `/api/analytics/slurm?${q}`, { key: h.root })).body.code, 'SESSION_REQUIRED', 'never with a key')

  const longRow = (await store.slurm.listJobs(window)).find(j => j.jobId === long)
  t.match(longRow, { state: 'COMPLETED', final: true, gpus: 1 }, 'the long job, once, now ended')
  t.ok(longRow!.endedAt! - longRow!.startedAt! >= 6000, 'its whole run')
})

t.test('Slurm unreachable or refusing: the import fails with a stable code and the data already imported stays', async t => {
  const store = await openSqliteStore(':memory:')
  t.teardown(() => store.close())
  await importSlurmJobs({ repo: store.slurm, source: sacct, now: Date.now, backfillMs: 3_600_000 })
  const before = await store.slurm.listJobs({ since: t0, until: Date.now() + 60_000 })
  t.ok(before.length > 0)
  const down = createSlurmRestSource({ url: await closedUrl(), token: slurm.token })
  await t.rejects(importSlurmJobs({ repo: store.slurm, source: down, now: Date.now, backfillMs: 3_600_000 }), { code: 'SLURM_UNREACHABLE' })
  const badToken = createSlurmRestSource({ url: slurm.restUrl, token: 'not.a.jwt', user: 'root' })
  await t.rejects(importSlurmJobs({ repo: store.slurm, source: badToken, now: Date.now, backfillMs: 3_600_000 }), SlurmImportError)
  const noSacct = createSacctSource({ sacct: join(slurm.dir, 'no-such-sacct') })
  await t.rejects(importSlurmJobs({ repo: store.slurm, source: noSacct, now: Date.now, backfillMs: 3_600_000 }), { code: 'SLURM_UNREACHABLE' })
  // The accounting daemon goes away (last: nothing after this needs it).
  await slurm.stopDaemon('slurmdbd')
  const t1 = Date.now()
  await t.rejects(importSlurmJobs({ repo: store.slurm, source: sacct, now: Date.now, backfillMs: 3_600_000 }), { code: 'SLURM_UNREACHABLE' }, 'slurmdbd down')
  t.comment(`sacct gave up after ${Date.now() - t1} ms`)
  t.same(await store.slurm.listJobs({ since: t0, until: Date.now() + 60_000 }), before, 'nothing lost, nothing added')
  t.match(await store.slurm.getImportState('sacct'), { lastError: /SLURM_UNREACHABLE/, lastSuccessAt: Number }, 'the failure is recorded beside the last success')
})
