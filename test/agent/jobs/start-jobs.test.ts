import { existsSync } from 'node:fs'
import t, { type Test } from 'tap'
import { startJobs, type RunningJobs } from '../../../agent/jobs/start-jobs.ts'
import { startFakeJobControlPlane, type FakeJobControlPlane } from './fake-job-control-plane.ts'
import { assignment, commandRuns, JOB_USER, memoryLog, stateDir, until, UUIDS } from './job-harness.ts'

const KEY = 'gfk_test_ingest_key'
const LONG = 60_000

async function setup (t: Test): Promise<{ cp: FakeJobControlPlane, start: (dir: string) => RunningJobs }> {
  const cp = await startFakeJobControlPlane(KEY)
  const running: RunningJobs[] = []
  t.teardown(async () => { for (const j of running) await j.stop(); await cp.close() })
  const start = (dir: string): RunningJobs => {
    const jobs = startJobs({ controlPlaneUrl: cp.url, apiKey: KEY, userAgent: 'test', stateDir: dir, hostname: 'node-1', jobUser: JOB_USER, killGraceMs: 30_000, logMaxBytes: 1024 * 1024, log: memoryLog(), pollMs: 50, waitS: 2 })
    running.push(jobs)
    return jobs
  }
  return { cp, start }
}

const kinds = (cp: FakeJobControlPlane, jobId: number): string[] => cp.events.filter(e => e.jobId === jobId).map(e => e.event.event)

t.test('assigned by long poll: started, then exited 3, the log with the UUIDs uploaded; then forgotten', async t => {
  const { cp, start } = await setup(t)
  const dir = stateDir()
  const jobs = start(dir)
  await until('the first poll is held', () => cp.requests.some(r => r.method === 'GET'), undefined, LONG)
  const job = assignment({ job_id: 11, command: ['sh', '-c', 'echo "cuda=$CUDA_VISIBLE_DEVICES"; exit 3'] })
  cp.setJobs([job])
  await until('both events arrive', () => kinds(cp, 11).length === 2, undefined, LONG)
  t.same(kinds(cp, 11), ['started', 'exited'])
  t.match(cp.events[1]!.event, { event: 'exited', hostname: 'node-1', run: job.run, exit_code: 3, failure: 'EXIT_CODE' })
  await until('the log is uploaded', () => cp.log(11, job.run).toString().includes(`cuda=${UUIDS.join(',')}`), undefined, LONG)
  await until('the job is forgotten once all is acknowledged', () => jobs.executor.store.data().jobs.length === 0, undefined, LONG)
  t.notOk(existsSync(`${dir}/jobs/11-${job.run}.log`), 'its files went with it')
  t.ok(cp.requests.every(r => r.bearer === KEY), 'every request carries the cluster key')
  t.ok(cp.requests.some(r => r.method === 'GET' && r.path === '/api/agent/assignments'))
  t.equal(kinds(cp, 11).length, 2, 'never run twice while the set still lists it')
})

t.test('cancelled: gone from the set → stopped, exited with the signal and no failure', async t => {
  const { cp, start } = await setup(t)
  const jobs = start(stateDir())
  const job = assignment({ job_id: 12, command: ['sleep', '1000'] })
  cp.setJobs([job])
  await until('started', () => kinds(cp, 12).includes('started'), undefined, LONG)
  // Its command running, not only its wrapper (see commandRuns).
  const record = () => jobs.executor.store.data().jobs.find(r => r.job_id === 12)
  await until('its command runs', () => record() !== undefined && commandRuns(record()!.sid, 'sleep'), undefined, LONG)
  cp.setJobs([])
  await until('exited', () => kinds(cp, 12).includes('exited'), undefined, LONG)
  t.match(cp.events.find(e => e.jobId === 12 && e.event.event === 'exited')!.event, { signal: 'SIGTERM', failure: null, exit_code: null })
})

t.test('events: retried with backoff until acknowledged, in order; an exit reaches the control plane after a restart', async t => {
  const { cp, start } = await setup(t)
  const dir = stateDir()
  cp.failEvents(1_000_000)
  const first = start(dir)
  const job = assignment({ job_id: 13, command: ['sh', '-c', 'exit 4'] })
  cp.setJobs([job])
  await until('both events queued', () => first.executor.store.data().outbox.length === 2, undefined, LONG)
  await first.stop()
  cp.failEvents(0)
  start(dir)
  await until('delivered', () => kinds(cp, 13).length === 2, undefined, LONG)
  t.same(kinds(cp, 13), ['started', 'exited'])
  t.match(cp.events.find(e => e.event.event === 'exited')!.event, { exit_code: 4 })
})

t.test('logs: a 409 LOG_OFFSET_MISMATCH resumes from the control plane\'s offset', async t => {
  const { cp, start } = await setup(t)
  const job = assignment({ job_id: 14, command: ['sh', '-c', 'echo 0123456789abcdef'] })
  cp.seedLog(14, job.run, Buffer.from('XXXXX'))
  start(stateDir())
  cp.setJobs([job])
  await until('uploaded', () => cp.log(14, job.run).length === 17, undefined, LONG)
  t.equal(cp.log(14, job.run).toString(), 'XXXXX56789abcdef\n')
})

t.test('events: a control plane that fails a few times still gets each event once, in order', async t => {
  const { cp, start } = await setup(t)
  cp.failEvents(2)
  start(stateDir())
  cp.setJobs([assignment({ job_id: 15, command: ['true'] })])
  await until('delivered', () => kinds(cp, 15).length === 2, undefined, LONG)
  t.same(kinds(cp, 15), ['started', 'exited'])
})
