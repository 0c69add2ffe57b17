import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defaultSimGpu, defaultSimState, updateSimState, writeSimState } from '../fakes/sim-state.ts'
import { pollUntil, runCli } from './run-cli.ts'
import { processName, groupPids, killSession, sessionPids, startUp, stopUp, type UpSystem } from './up-system.ts'

// Issue 15's proof: `gpufleet up` on the simulator runs real processes for executed jobs.
// No timing assertions: every wait polls with a generous limit.

interface JobGpu { gpu_index: number, assigned_at: string, released_at: string | null }
interface JobProcess { hostname: string, gpu_index: number | null, gpu_uuid: string, pid: number, process_name: string, used_memory_mib: number | null, outside_allocation: boolean }
interface JobEvent { kind: string, at: string }
interface JobDetail {
  id: number, status: string, end_reason: string | null, exit_code: number | null, exit_signal: string | null, pid: number | null,
  executed: boolean, started_at: string | null, ended_at: string | null, gpus: JobGpu[], events: JobEvent[], processes: JobProcess[]
}

const LONG = 60_000

function jobsOf (t: Test, up: UpSystem, clusterId: number) {
  const submit = async (body: Record<string, unknown>): Promise<number> => {
    const res = await up.api<{ id: number }>('POST', '/api/jobs', { cluster_id: clusterId, ...body })
    t.equal(res.status, 201, `submitted ${JSON.stringify(body.command)}${res.status === 201 ? '' : `: ${JSON.stringify(res.body)}`}`)
    return res.body.id
  }
  const get = async (id: number): Promise<JobDetail> => (await up.api<JobDetail>('GET', `/api/jobs/${id}`)).body
  const until = (id: number, ok: (j: JobDetail) => boolean, ms = LONG) => pollUntil(async () => {
    const j = await get(id)
    return ok(j) ? j : undefined
  }, ms, 250)
  const running = (id: number) => until(id, j => j.status === 'running' && j.pid !== null)
  return { submit, get, until, running }
}

async function localCluster (up: UpSystem): Promise<number | undefined> {
  return pollUntil(async () => {
    const { body } = await up.api<Array<{ id: number, name: string }>>('GET', '/api/clusters')
    const gpus = await up.api<unknown[]>('GET', '/api/gpu-stats')
    return gpus.body.length === 8 ? body.find(c => c.name === 'local')?.id : undefined
  }, LONG, 250)
}

const uuidOf = (index: number): string => defaultSimGpu(index).uuid

t.test('gpufleet up runs jobs: exit codes and logs, cancel, time limit, attribution, metering', async t => {
  const dir = t.testdir()
  const simState = join(dir, 'sim.json')
  writeSimState(simState, defaultSimState(8))
  const up = await startUp(join(dir, 'data'), simState, ['--job-kill-grace', '5s'])
  t.teardown(() => stopUp(up.run))
  const started = new Set<number>()
  t.teardown(() => { for (const sid of started) killSession(sid) })

  const clusterId = await localCluster(up)
  if (clusterId === undefined) return t.fail('the local node never registered its 8 GPUs')
  const jobs = jobsOf(t, up, clusterId)

  // Submitted first: its minute runs while the other cases do.
  const overTime = await jobs.submit({ name: 'over-time', command: ['sleep', '600'], time_limit_min: 1 })
  const failing = await jobs.submit({ name: 'exit-3', gpu_count: 2, command: ['sh', '-c', 'echo "gpus=$CUDA_VISIBLE_DEVICES"; exit 3'] })
  const long = await jobs.submit({ name: 'long', command: ['sh', '-c', 'sleep 600'] })
  const stubborn = await jobs.submit({ name: 'ignores-sigterm', command: ['sh', '-c', 'trap "" TERM; while :; do sleep 1; done'] })
  const overTimeJob = await jobs.running(overTime)
  if (overTimeJob?.pid != null) started.add(overTimeJob.pid)

  await t.test('a job that prints $CUDA_VISIBLE_DEVICES and exits 3', async t => {
    const j = await jobs.until(failing, j => j.status === 'failed')
    if (j === undefined) return t.fail(`job ${failing} never failed: ${JSON.stringify(await jobs.get(failing))}`)
    t.equal(j.executed, true)
    t.equal(j.end_reason, 'EXIT_CODE')
    t.equal(j.exit_code, 3)
    t.equal(j.exit_signal, null)
    t.equal(j.gpus.length, 2)
    const uuids = j.gpus.map(g => uuidOf(g.gpu_index)).join(',')
    const log = await pollUntil(async () => {
      const res = await up.api<string>('GET', `/api/jobs/${failing}/logs`)
      return res.status === 200 && res.body.includes('\n') ? res.body : undefined
    }, LONG, 250)
    t.equal(log, `gpus=${uuids}\n`, 'the log holds the assigned GPUs\' UUIDs, in CUDA_VISIBLE_DEVICES order')

    const xdg = join(dir, 'xdg')
    mkdirSync(xdg, { recursive: true })
    const cli = runCli(['jobs', 'logs', String(failing)], { XDG_CONFIG_HOME: xdg, GPUFLEET_URL: up.cpUrl, GPUFLEET_API_KEY: up.key })
    t.equal((await cli.exited).code, 0, cli.stderr())
    t.equal(cli.stdout(), `gpus=${uuids}\n`, 'gpufleet jobs logs ID shows it')

    // Metering is exact: the GPU intervals close where the process ended.
    t.ok(j.ended_at !== null)
    t.same(j.gpus.map(g => g.released_at), j.gpus.map(() => j.ended_at), 'its GPUs are released at its exit')
    t.ok(j.gpus.every(g => g.assigned_at === j.started_at), 'and were assigned at its start')
    t.same(j.events.filter(e => e.kind === 'process_started' || e.kind === 'exited').map(e => e.kind), ['process_started', 'exited'])
  })

  const longJob = await jobs.running(long)
  const stubbornJob = await jobs.running(stubborn)
  if (longJob?.pid == null || stubbornJob?.pid == null) return t.fail('the long jobs never started')
  started.add(longJob.pid)
  started.add(stubbornJob.pid)

  await t.test('GPU processes: a job\'s under its GPUs, a stranger\'s as unallocated GPU use', async t => {
    // The GPU process is a child in the job's session, as a CUDA program under a launcher is.
    const child = await pollUntil(async () => sessionPids(longJob.pid!).find(p => p !== longJob.pid), LONG)
    if (child === undefined) return t.fail('the job has no child process')
    const gpuIndex = longJob.gpus[0]!.gpu_index
    const held = new Set<number>()
    for (const id of [overTime, long, stubborn]) for (const g of (await jobs.get(id)).gpus) if (g.released_at === null) held.add(g.gpu_index)
    const free = [7, 6, 5, 4, 3, 2, 1, 0].find(i => !held.has(i))
    if (free === undefined) return t.fail('no free GPU')
    // Strangers: processes of no job, one on a free GPU, one on the GPU of a job whose own processes use none.
    const [stranger, intruder] = [spawn('sleep', ['600'], { stdio: 'ignore' }), spawn('sleep', ['600'], { stdio: 'ignore' })]
    t.teardown(() => { stranger.kill('SIGKILL'); intruder.kill('SIGKILL') })
    const stubbornGpu = stubbornJob.gpus[0]!.gpu_index
    const childName = processName(child)
    updateSimState(simState, s => {
      s.processes.push({ gpuIndex, pid: child, name: childName, usedMemoryMib: 4242, followPid: true })
      s.processes.push({ gpuIndex: free, pid: stranger.pid!, name: processName(stranger.pid!), usedMemoryMib: 1234, followPid: true })
      s.processes.push({ gpuIndex: stubbornGpu, pid: intruder.pid!, name: processName(intruder.pid!), usedMemoryMib: 99, followPid: true })
    })

    const seen = await jobs.until(long, j => j.processes.some(p => p.pid === child))
    t.same(seen?.processes.map(p => ({ ...p, seen_at: undefined })), [{
      hostname: seen?.processes[0]?.hostname, gpu_index: gpuIndex, gpu_uuid: uuidOf(gpuIndex), pid: child,
      process_name: childName, used_memory_mib: 4242, outside_allocation: false, seen_at: undefined,
    }], 'GET /api/jobs/:id lists the job\'s process under its GPU')

    const leak = await pollUntil(async () => {
      const { body } = await up.api<{ unallocated_gpu_use: Array<{ kind: string, pid: number, gpu_index: number | null, job_id: number | null }> }>('GET', '/api/dashboard/leakage')
      return body.unallocated_gpu_use.find(p => p.pid === stranger.pid)
    }, LONG, 250)
    t.match(leak, { kind: 'unallocated', gpu_index: free, job_id: null }, 'the stranger on a GPU no job holds is unallocated GPU use')
    const leaks = await up.api<{ unallocated_gpu_use: Array<{ kind: string, pid: number, gpu_index: number | null, job_id: number | null }> }>('GET', '/api/dashboard/leakage')
    t.notOk(leaks.body.unallocated_gpu_use.some(p => p.pid === child), 'the job\'s own process is not a finding')
    // The job runs a command, so only what its agent maps to it is its own, even when that is nothing yet.
    t.match(leaks.body.unallocated_gpu_use.find(p => p.pid === intruder.pid), { kind: 'outside_allocation', gpu_index: stubbornGpu, job_id: stubborn },
      'a stranger on an executed job\'s GPU is flagged')
    t.match((await jobs.get(stubborn)).processes, [{ pid: intruder.pid, outside_allocation: true }], 'and listed under that job as outside its allocation')
  })

  await t.test('cancel: SIGTERM to the process group, SIGKILL after the kill grace; the group is gone', async t => {
    for (const id of [long, stubborn]) {
      const res = await up.api('PATCH', `/api/jobs/${id}`, { status: 'cancelled' })
      t.equal(res.status, 200, `PATCH job ${id} {status: cancelled}: ${res.status === 200 ? 'ok' : JSON.stringify(res.body)}`)
    }
    const cancelledAt = Date.now()
    for (const j of [longJob, stubbornJob]) {
      const gone = await pollUntil(async () => (groupPids(j.pid!).length === 0 ? true : undefined), LONG)
      t.ok(gone, `job ${j.id}'s process group ${j.pid} is gone (${Date.now() - cancelledAt} ms after the cancel; grace 5 s, watched every 1 s)`)
      const ended = await jobs.until(j.id, j => j.status === 'cancelled' && j.gpus.every(g => g.released_at !== null))
      t.ok(ended, `job ${j.id} is cancelled`)
      t.same(ended?.gpus.map(g => g.released_at), ended?.gpus.map(() => ended.ended_at), 'its GPUs are released when it was cancelled')
    }
    // How each ended, as its agent reported: SIGTERM reached the plain shell; the one ignoring it took the SIGKILL after the grace.
    const signals = await Promise.all([long, stubborn].map(id => jobs.until(id, j => j.exit_signal !== null)))
    t.same(signals.map(j => j?.exit_signal), ['SIGTERM', 'SIGKILL'])
  })

  await t.test('a job over its time limit fails with TIMEOUT', async t => {
    // time_limit_min is minutes: one minute from its start, polled with room to spare.
    const j = await jobs.until(overTime, j => j.status === 'failed', 150_000)
    if (j === undefined) return t.fail(`job ${overTime} never ended: ${JSON.stringify(await jobs.get(overTime))}`)
    t.equal(j.end_reason, 'TIMEOUT')
    t.ok(Date.parse(j.ended_at!) - Date.parse(j.started_at!) >= 60_000, 'not before its minute')
    const gone = await pollUntil(async () => (groupPids(overTimeJob!.pid!).length === 0 ? true : undefined), LONG)
    t.ok(gone, 'its process group is gone')
    t.same(j.gpus.map(g => g.released_at), j.gpus.map(() => j.ended_at), 'its GPUs are released when it ended')
  })
})

t.test('an agent SIGKILLed mid-job and restarted re-adopts its jobs: one finishes once, one that ended meanwhile keeps its exit code', async t => {
  const dir = t.testdir()
  const simState = join(dir, 'sim.json')
  writeSimState(simState, defaultSimState(8))
  // The job user (nobody) must see the gate files: a world-readable directory of its own.
  const gate = mkdtempSync(join(tmpdir(), 'gpufleet-e2e-'))
  chmodSync(gate, 0o755)
  t.teardown(() => rmSync(gate, { recursive: true, force: true }))
  const [go, down] = [join(gate, 'go'), join(gate, 'down')]
  const dataDir = join(dir, 'data')
  const first = await startUp(dataDir, simState, ['--log-level', 'info'])
  t.teardown(() => stopUp(first.run))
  const clusterId = await localCluster(first)
  if (clusterId === undefined) return t.fail('the local node never registered its 8 GPUs')
  const before = jobsOf(t, first, clusterId)
  const survivor = await before.submit({ name: 'survivor', command: ['sh', '-c', `echo begin; while [ ! -e ${go} ]; do sleep 0.2; done; echo end`] })
  const meanwhile = await before.submit({ name: 'ends-while-down', command: ['sh', '-c', `echo begin; while [ ! -e ${down} ]; do sleep 0.2; done; echo bye; exit 7`] })
  const pids: number[] = []
  for (const id of [survivor, meanwhile]) {
    const j = await before.running(id)
    if (j?.pid == null) return t.fail(`job ${id} never started`)
    pids.push(j.pid)
    t.teardown(() => killSession(j.pid!))
  }
  const [pid, meanwhilePid] = pids as [number, number]

  // bin/gpufleet runs cli.ts in this process: the agent (and the control plane with it) dies at once.
  first.run.child.kill('SIGKILL')
  await first.run.exited
  t.ok(groupPids(pid).includes(pid), 'the job outlives its agent')
  writeFileSync(down, '')
  t.ok(await pollUntil(async () => (groupPids(meanwhilePid).length === 0 ? true : undefined), LONG), 'the other job ends while no agent runs')

  const second = await startUp(dataDir, simState, ['--log-level', 'info'], first.key)
  t.teardown(() => stopUp(second.run))
  await second.run.waitFor(/re-adopted a running job/)
  t.pass('the restarted agent re-adopted the running job')
  // Followed through the new control plane from here to the job's end.
  const xdg = join(dir, 'xdg')
  mkdirSync(xdg)
  const follow = runCli(['jobs', 'logs', String(survivor), '-f'], { XDG_CONFIG_HOME: xdg, GPUFLEET_URL: second.cpUrl, GPUFLEET_API_KEY: second.key })
  t.teardown(() => { follow.child.kill('SIGKILL') })
  await follow.waitFor(/begin\n/)
  writeFileSync(go, '')

  const jobs = jobsOf(t, second, clusterId)
  const j = await jobs.until(survivor, j => j.status !== 'running')
  if (j === undefined) return t.fail(`job ${survivor} never ended: ${JSON.stringify(await jobs.get(survivor))}`)
  t.equal(j.status, 'completed')
  t.equal(j.exit_code, 0)
  t.equal(j.pid, pid, 'the same process, never started again')
  const count = (kind: string) => j.events.filter(e => e.kind === kind).length
  t.same([count('started'), count('process_started'), count('exited'), count('ended')], [1, 1, 1, 1], 'one start, one process start, one exit, one end')
  const logOf = (id: number, last: string) => pollUntil(async () => {
    const res = await second.api<string>('GET', `/api/jobs/${id}/logs`)
    return res.body.endsWith(last) ? res.body : undefined
  }, LONG, 250)
  t.equal(await logOf(survivor, 'end\n'), 'begin\nend\n', 'its log: one run, start to end')
  t.same(j.gpus.map(g => g.released_at), j.gpus.map(() => j.ended_at), 'its GPUs are released at its exit')
  t.equal((await follow.exited).code, 0, follow.stderr())
  t.equal(follow.stdout(), 'begin\nend\n', 'gpufleet jobs logs -f followed it to its end, the last line included')

  // Its wrapper wrote the exit status in the agent's state directory; the new agent reads it.
  const m = await jobs.until(meanwhile, j => j.status !== 'running')
  t.match(m, { status: 'failed', end_reason: 'EXIT_CODE', exit_code: 7, exit_signal: null, pid: meanwhilePid }, 'the job that ended while the agent was down: its real exit code')
  t.equal(await logOf(meanwhile, 'bye\n'), 'begin\nbye\n')
  t.same(m?.events.filter(e => e.kind === 'process_started' || e.kind === 'exited').map(e => e.kind), ['process_started', 'exited'], 'started once, ended once')
})
