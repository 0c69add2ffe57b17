import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import t, { type Test } from 'tap'
import { createExecutor, type ExecutorOptions } from '../../../agent/jobs/create-executor.ts'
import type { JobRecord } from '../../../agent/jobs/open-job-state.ts'
import { sessionPids } from '../../../agent/jobs/read-proc.ts'
import type { JobRunEvent } from '../../../shared/wire/job-execution.ts'
import { assignment, commandRuns, JOB_USER, memoryLog, stateDir, until, UUIDS } from './job-harness.ts'

const LONG = 60_000

function executor (t: Test, over: Partial<ExecutorOptions> & { stateDir: string }) {
  const ex = createExecutor({ hostname: 'node-1', jobUser: JOB_USER, killGraceMs: 30_000, logMaxBytes: 1024 * 1024, log: memoryLog(), pollMs: 50, ...over })
  t.teardown(() => ex.stop())
  ex.start()
  const events = (jobId?: number): JobRunEvent[] => ex.store.data().outbox.filter(e => jobId === undefined || e.job_id === jobId).map(e => e.event)
  const exited = (jobId: number) => events(jobId).find(e => e.event === 'exited') as Extract<JobRunEvent, { event: 'exited' }> | undefined
  const record = (jobId: number): JobRecord | undefined => ex.store.data().jobs.find(r => r.job_id === jobId)
  return { ex, events, exited, record }
}

/** Kill what a failed test left running. */
function reap (t: Test, record: () => JobRecord | undefined): void {
  t.teardown(() => { const r = record(); if (r !== undefined) for (const pid of sessionPids(r.sid)) try { process.kill(pid, 'SIGKILL') } catch {} })
}

t.test('a job sees its GPUs in CUDA_VISIBLE_DEVICES, exits 3 → EXIT_CODE 3, its output in the log', async t => {
  const { ex, events, exited, record } = executor(t, { stateDir: stateDir() })
  ex.converge([assignment({ job_id: 1, command: ['sh', '-c', 'echo "cuda=$CUDA_VISIBLE_DEVICES nvidia=$NVIDIA_VISIBLE_DEVICES user=$(id -un)"; echo oops >&2; exit 3'] })])
  await until('the job exits', () => exited(1) !== undefined, undefined, LONG)
  t.match(events(1)[0], { event: 'started', hostname: 'node-1', pid: Number })
  t.match(exited(1), { exit_code: 3, signal: null, failure: 'EXIT_CODE', message: null })
  const text = readFileSync(record(1)!.log, 'utf8')
  t.match(text, `cuda=${UUIDS.join(',')} nvidia=${UUIDS.join(',')} user=${JOB_USER}`)
  t.match(text, 'oops')
  ex.converge([assignment({ job_id: 1, command: ['true'] })])
  t.equal(events(1).length, 2, 'still listed by the control plane: not started again')
})

t.test('exit 0 is no failure; a signal is SIGNAL', async t => {
  const { ex, exited } = executor(t, { stateDir: stateDir() })
  ex.converge([
    assignment({ job_id: 1, command: ['true'], gpu_uuids: ['GPU-a'] }),
    assignment({ job_id: 2, command: ['sh', '-c', 'kill -KILL $$'], gpu_uuids: ['GPU-b'] }),
  ])
  await until('both exit', () => exited(1) !== undefined && exited(2) !== undefined, undefined, LONG)
  t.match(exited(1), { exit_code: 0, signal: null, failure: null })
  t.match(exited(2), { exit_code: null, signal: 'SIGKILL', failure: 'SIGNAL' })
})

t.test('no longer assigned: SIGTERM to the group, SIGKILL after the grace when ignored; the session is gone', async t => {
  const { ex, exited, record } = executor(t, { stateDir: stateDir(), killGraceMs: 5000 })
  reap(t, () => record(1))
  reap(t, () => record(2))
  ex.converge([
    assignment({ job_id: 1, command: ['sh', '-c', 'sleep 1000 & sleep 1000; wait'], gpu_uuids: ['GPU-a'] }),
    assignment({ job_id: 2, command: ['sh', '-c', 'trap "" TERM; sleep 1000 & sleep 1000; wait'], gpu_uuids: ['GPU-b'] }),
  ])
  await until('both run with their children', () => [1, 2].every(id => record(id) !== undefined && sessionPids(record(id)!.sid).length >= 3), undefined, LONG)
  const sids = [record(1)!.sid, record(2)!.sid]
  ex.converge([])
  await until('both end', () => exited(1) !== undefined && exited(2) !== undefined, undefined, LONG)
  t.match(exited(1), { signal: 'SIGTERM', failure: null })
  t.match(exited(2), { signal: 'SIGKILL', failure: null })
  await until('no process of either session is left', () => sids.every(sid => sessionPids(sid).length === 0), undefined, LONG)
  await until('both recorded gone', () => record(1)!.session_gone && record(2)!.session_gone, undefined, LONG)
})

t.test('a SIGTERM that lands while the wrapper is still starting the command reaches the command once it runs', async t => {
  // The window is the wrapper's (its trap set, "$@" not yet exec'd): the job's own shell holds
  // it open here, trapping TERM as the wrapper's not-yet-exec'd child would, until the test
  // lets it exec the real command. Before the fix the command never got a SIGTERM and ran on
  // until the SIGKILL after the grace (60 s here).
  const dir = stateDir()
  const release = `${dir}/release`
  const { ex, exited, record } = executor(t, { stateDir: dir, killGraceMs: LONG })
  reap(t, () => record(1))
  ex.converge([assignment({ job_id: 1, command: ['sh', '-c', `trap : TERM; while [ ! -e ${release} ]; do sleep 0.05; done; exec sleep 1000`] })])
  await until('the job\'s shell runs under the wrapper', () => record(1) !== undefined && sessionPids(record(1)!.sid).length >= 2, undefined, LONG)
  ex.converge([])
  await until('the SIGTERM was sent', () => record(1)!.term_at !== null, undefined, LONG)
  writeFileSync(release, '')
  await until('the job exits', () => exited(1) !== undefined, undefined, 2 * LONG)
  t.match(exited(1), { signal: 'SIGTERM', failure: null }, 'ended by the SIGTERM, not by the SIGKILL after the grace')
})

t.test('a GPU waits until the previous job\'s session on it is gone', async t => {
  const { ex, events, record } = executor(t, { stateDir: stateDir(), killGraceMs: 800 })
  reap(t, () => record(1))
  ex.converge([assignment({ job_id: 1, command: ['sh', '-c', 'trap "" TERM; sleep 1000'] })])
  await until('job 1 runs', () => record(1) !== undefined, undefined, LONG)
  ex.converge([assignment({ job_id: 2, command: ['true'], gpu_uuids: [UUIDS[1] as string] })])
  t.equal(record(2), undefined, 'not started while job 1 holds the GPU')
  await until('job 2 starts once job 1 is gone', () => record(2) !== undefined, undefined, LONG)
  t.ok(record(1) === undefined || record(1)!.session_gone, 'job 1\'s session was gone first')
  t.equal(events(2).filter(e => e.event === 'started').length, 1)
})

t.test('an exit that leaves an empty session frees its GPUs at once, not at the next watch tick', async t => {
  // No tick after the first: only the exit itself can start what waits.
  const { ex, events, record } = executor(t, { stateDir: stateDir(), pollMs: 3_600_000 })
  reap(t, () => record(1))
  const gpu = [UUIDS[0] as string]
  ex.converge([assignment({ job_id: 1, command: ['sh', '-c', 'sleep 0.3'], gpu_uuids: gpu }), assignment({ job_id: 2, command: ['true'], gpu_uuids: gpu })])
  t.equal(record(2), undefined, 'job 2 waits while job 1 holds the GPU')
  await until('job 2 starts when job 1 exits', () => events(2).some(e => e.event === 'started'), undefined, LONG)
  t.ok(record(1)!.session_gone, 'job 1\'s session is gone')
  await until('job 2 exits', () => events(2).some(e => e.event === 'exited'), undefined, LONG)
  ex.converge([assignment({ job_id: 3, command: ['true'], gpu_uuids: gpu })])
  t.ok(events(3).some(e => e.event === 'started'), 'a later assignment on the freed GPU starts in the same converge')
})

t.test('the time limit, from started_at: TIMEOUT (injected clock)', async t => {
  let skew = 0
  const { ex, exited, record } = executor(t, { stateDir: stateDir(), killGraceMs: 500, now: () => Date.now() + skew })
  reap(t, () => record(1))
  ex.converge([assignment({ job_id: 1, command: ['sleep', '1000'], time_limit_min: 5 })])
  // Its command running, not only its wrapper (see commandRuns).
  await until('it runs', () => record(1) !== undefined && commandRuns(record(1)!.sid, 'sleep'), undefined, LONG)
  t.equal(exited(1), undefined)
  skew = 6 * 60_000
  await until('it is stopped', () => exited(1) !== undefined, undefined, LONG)
  t.match(exited(1), { failure: 'TIMEOUT', signal: 'SIGTERM', message: /time limit/ })
})

t.test('LAUNCH_FAILED: root, an unknown user, a missing command or workdir', async t => {
  const { ex, exited, record } = executor(t, { stateDir: stateDir(), jobUser: 'root' })
  ex.converge([assignment({ job_id: 1, command: ['true'] })])
  t.match(exited(1), { failure: 'LAUNCH_FAILED', exit_code: null, message: /root \(uid 0\)/ })
  t.equal(record(1), undefined)
  const other = executor(t, { stateDir: stateDir(), jobUser: 'no-such-user-here' })
  other.ex.converge([assignment({ job_id: 2, command: ['true'] })])
  t.match(other.exited(2), { failure: 'LAUNCH_FAILED', message: /not a user/ })
  const third = executor(t, { stateDir: stateDir() })
  third.ex.converge([
    assignment({ job_id: 3, command: ['no-such-command-xyz'], gpu_uuids: ['a'] }),
    assignment({ job_id: 4, command: ['true'], workdir: '/no/such/dir', gpu_uuids: ['b'] }),
  ])
  t.match(third.exited(3), { failure: 'LAUNCH_FAILED', message: /"no-such-command-xyz" not found in PATH/ })
  t.match(third.exited(4), { failure: 'LAUNCH_FAILED', message: /workdir "\/no\/such\/dir" does not exist/ })
  third.ex.converge([assignment({ job_id: 3, command: ['no-such-command-xyz'], gpu_uuids: ['a'] })])
  t.equal(third.events(3).length, 1, 'a failed launch is not retried')
})

t.test('agent restart: a new executor over the same state re-adopts the running job and reports its exit once', async t => {
  const dir = stateDir()
  const job = assignment({ job_id: 1, command: ['sh', '-c', 'while [ ! -e "$GO" ]; do sleep 0.05; done; echo done; exit 5'], env: { GO: `${dir}/go` } })
  const first = executor(t, { stateDir: dir })
  reap(t, () => first.record(1))
  first.ex.converge([job])
  await until('it runs', () => first.record(1) !== undefined, undefined, LONG)
  const pid = first.record(1)!.pid
  await first.ex.stop()

  const second = executor(t, { stateDir: dir })
  t.match(second.record(1), { pid, exited: false })
  second.ex.converge([job])
  t.equal(second.events(1).filter(e => e.event === 'started').length, 1, 'not started again')
  t.same(second.ex.jobOfPid(pid), { job_id: 1, run: job.run })
  t.equal(second.ex.jobOfPid(process.pid), null)
  const { writeFileSync } = await import('node:fs')
  writeFileSync(`${dir}/go`, '')
  await until('its exit is seen by polling /proc', () => second.exited(1) !== undefined, undefined, LONG)
  t.match(second.exited(1), { exit_code: 5, failure: 'EXIT_CODE' })
  await second.ex.stop()

  const third = executor(t, { stateDir: dir })
  third.ex.converge([job])
  t.equal(third.events(1).filter(e => e.event === 'exited').length, 1, 'reported once, across restarts')
  t.equal(third.events(1).filter(e => e.event === 'started').length, 1)
})

t.test('a job that ended while no agent ran is reported at the next start', async t => {
  const dir = stateDir()
  const first = executor(t, { stateDir: dir })
  first.ex.converge([assignment({ job_id: 1, command: ['sh', '-c', 'sleep 0.3; exit 7'] })])
  await until('it runs', () => first.record(1) !== undefined, undefined, LONG)
  const sid = first.record(1)!.sid
  await first.ex.stop()
  await until('it ended', () => sessionPids(sid).length === 0, undefined, LONG)
  const second = executor(t, { stateDir: dir })
  await until('reported', () => second.exited(1) !== undefined, undefined, LONG)
  t.match(second.exited(1), { exit_code: 7, failure: 'EXIT_CODE' })
})

t.test('log rotation at a small limit: one older generation, offsets count the rotated bytes', async t => {
  const { ex, exited, record } = executor(t, { stateDir: stateDir(), logMaxBytes: 2000, pollMs: 20 })
  ex.converge([assignment({ job_id: 1, command: ['sh', '-c', 'i=0; while [ $i -lt 400 ]; do echo "line $i ........................................"; i=$((i+1)); [ $((i % 20)) -eq 0 ] && sleep 0.05; done'] })])
  await until('it ends', () => exited(1) !== undefined, undefined, LONG)
  const r = record(1)!
  t.ok(r.rotated_bytes > 2000, `rotated ${r.rotated_bytes} bytes`)
  t.ok(existsSync(`${r.log}.1`), 'one older generation')
  t.notOk(existsSync(`${r.log}.2`))
  t.match(readFileSync(r.log, 'utf8'), /line 399 /)
  t.ok(statSync(`${r.log}.1`).size > 2000)
})

t.test('jobOfPid: the job\'s processes by session, others null', async t => {
  const { ex, record } = executor(t, { stateDir: stateDir() })
  reap(t, () => record(1))
  ex.converge([assignment({ job_id: 1, command: ['sh', '-c', 'sleep 1000 & sleep 1000; wait'] })])
  await until('its children run', () => record(1) !== undefined && sessionPids(record(1)!.sid).length >= 3, undefined, LONG)
  const r = record(1)!
  for (const pid of sessionPids(r.sid)) t.same(ex.jobOfPid(pid), { job_id: 1, run: r.run })
  t.equal(ex.jobOfPid(process.pid), null)
  t.equal(ex.jobOfPid(999_999_999), null)
  ex.converge([])
})
