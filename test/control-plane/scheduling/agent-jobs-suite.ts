import type { Test } from 'tap'
import type { Store } from '../../../control-plane/store/store.ts'
import type { Res } from '../cp-harness.ts'
import { schedulingHarness } from './scheduling-harness.ts'

type Harness = Awaited<ReturnType<typeof schedulingHarness>>

/** Waits (real time, generous) for a condition that async work makes true; never a timing assertion. */
async function until (what: string, cond: () => boolean | Promise<boolean>): Promise<void> {
  const end = Date.now() + 60_000
  while (!await cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

const TRUE = 'sh'
const rowCounts = async (store: Store) => ({
  jobs: (await store.jobs.list({ limit: 1, offset: 0 })).total,
  events: (await Promise.all([1, 2, 3, 4, 5].map(id => store.jobs.eventsOf(id, 1000)))).flat().length,
})

/**
 * Executed jobs on the control plane (issue 15): the submission's command/env/workdir, the agents'
 * assignment long poll and run events. Run against every engine (`openStore`: PostgreSQL's twin).
 */
export function agentJobsSuite (t: Test, openStore?: () => Promise<Store>): void {
  /** A cluster of one 2-GPU node with UUIDs, another cluster's 1-GPU node, and an unbound and a bound ingest key. */
  const setup = async (t: Test, extra: { closing?: AbortSignal } = {}) => {
    const h = await schedulingHarness(t, { ...(openStore === undefined ? {} : { openStore }), ...extra })
    await h.settle()
    const c = await h.cluster('exec', [{ gpus: 2 }])
    const other = await h.cluster('elsewhere', [{ gpus: 1 }])
    const nodeId = c.nodes[0]!.id
    await h.store.fleet.registerGpus(nodeId, [{ gpuIndex: 0, uuid: 'GPU-aaaa' }, { gpuIndex: 1, uuid: 'GPU-bbbb' }], h.clock.now())
    const host = (await h.store.fleet.getNode(nodeId))!.hostname
    const otherHost = (await h.store.fleet.getNode(other.nodes[0]!.id))!.hostname
    const agent = (await h.req('POST', '/api/api-keys', { body: { label: 'agents', permissions: ['ingest'] } })).body.key as string
    const bound = (await h.req('POST', '/api/api-keys', { body: { label: 'exec agents', cluster_id: c.clusterId } })).body.key as string
    const assignments = (q: string, key = agent) => h.req('GET', `/api/agent/assignments?${q}`, { key })
    const event = (jobId: number, body: Record<string, unknown>, key = agent) => h.req('POST', `/api/agent/jobs/${jobId}/events`, { key, body })
    /** Submits and lets the scheduler start it; returns the running job. */
    const run = async (body: Record<string, unknown>, clusterId = c.clusterId) => {
      const res = await h.submit({ cluster_id: clusterId, name: 'exec', ...body })
      if (res.status !== 201) throw new Error(`submit: ${res.status} ${res.text}`)
      await h.settle()
      await until(`job ${res.body.id} running`, async () => (await h.job(res.body.id)).status === 'running')
      return h.job(res.body.id)
    }
    const exited = (job: { node_id: number, started_at: string }, o: Record<string, unknown> = {}) => ({
      event: 'exited', hostname: host, run: Date.parse(job.started_at), at: new Date(h.clock.now()).toISOString(),
      exit_code: 0, signal: null, failure: null, message: null, ...o,
    })
    return { h, c, other, nodeId, host, otherHost, agent, bound, assignments, event, run, exited }
  }

  t.test('POST /api/jobs: command, env and workdir are stored and shown; without command a job is an allocation as before', async t => {
    const { h, c } = await setup(t)
    const exec = await h.submit({ cluster_id: c.clusterId, name: 'train', command: ['python3', '-c', 'print("héllo")'], env: { HF_HOME: '/data/hf', _x1: '' }, workdir: '/data/runs' })
    t.equal(exec.status, 201)
    t.match(exec.body, { executed: true, command: ['python3', '-c', 'print("héllo")'], env: { HF_HOME: '/data/hf', _x1: '' }, workdir: '/data/runs', pid: null, exit_code: null, exit_signal: null })
    const alloc = await h.submit({ cluster_id: c.clusterId, name: 'alloc' })
    t.match(alloc.body, { executed: false, command: null, env: null, workdir: null, pid: null, exit_code: null, exit_signal: null })
    const nulls = await h.submit({ cluster_id: c.clusterId, name: 'alloc2', command: null, env: null, workdir: null })
    t.match(nulls, { status: 201, body: { executed: false } })
    t.match(await h.job(exec.body.id), { executed: true, command: ['python3', '-c', 'print("héllo")'], env: { HF_HOME: '/data/hf' } })
    const page = (await h.req('GET', '/api/jobs')).body
    t.same(page.jobs.map((j: { executed: boolean }) => j.executed), [false, false, true])
  })

  t.test('POST /api/jobs: every bad command, env or workdir is 400 VALIDATION_FAILED naming the field, nothing written', async t => {
    const { h, c } = await setup(t)
    const before = await rowCounts(h.store)
    const env = (o: Record<string, unknown>) => ({ command: [TRUE], env: o })
    const cases: Array<[string, Record<string, unknown> | string, string]> = [
      ['empty argv', { command: [] }, 'command'],
      ['an empty argument', { command: ['echo', ''] }, 'command.1'],
      ['a number in argv', { command: ['echo', 1] }, 'command.1'],
      ['argv as a string', { command: 'echo hi' }, 'command'],
      ['257 arguments', { command: Array.from({ length: 257 }, () => 'a') }, 'command'],
      ['an argument over 4 KiB in UTF-8', { command: ['echo', 'é'.repeat(2049)] }, 'command.1'],
      ['NUL in an argument', { command: ['echo', 'a\u0000b'] }, 'command.1'],
      ['env without command', { env: { A: 'b' } }, 'command'],
      ['workdir without command', { workdir: '/tmp' }, 'command'],
      ['PATH', env({ PATH: '/evil' }), 'env.PATH'],
      ['CUDA_VISIBLE_DEVICES', env({ CUDA_VISIBLE_DEVICES: '0' }), 'env.CUDA_VISIBLE_DEVICES'],
      ['NVIDIA_VISIBLE_DEVICES', env({ NVIDIA_VISIBLE_DEVICES: 'all' }), 'env.NVIDIA_VISIBLE_DEVICES'],
      ['a name starting with a digit', env({ '1A': 'x' }), 'env.1A'],
      ['a name with a dash', env({ 'A-B': 'x' }), 'env.A-B'],
      ['129 variables', env(Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`V${i}`, 'x']))), 'env'],
      ['a value over 32 KiB', env({ BIG: 'x'.repeat(32 * 1024 + 1) }), 'env.BIG'],
      ['NUL in a value', env({ A: 'x\u0000y' }), 'env.A'],
      ['a non-string value', env({ A: 1 }), 'env.A'],
      ['env as an array', { command: [TRUE], env: ['A=b'] }, 'env'],
      ['__proto__ as a name', `{"cluster_id":${c.clusterId},"name":"x","command":["sh"],"env":{"__proto__":"x"}}`, 'env'],
      ['a relative workdir', { command: [TRUE], workdir: 'runs/1' }, 'workdir'],
      ['an empty workdir', { command: [TRUE], workdir: '' }, 'workdir'],
      ['NUL in workdir', { command: [TRUE], workdir: '/data/\u0000' }, 'workdir'],
      ['a numeric workdir', { command: [TRUE], workdir: 7 }, 'workdir'],
    ]
    for (const [what, body, path] of cases) {
      const res = typeof body === 'string'
        ? await h.req('POST', '/api/jobs', { raw: body })
        : await h.submit({ cluster_id: c.clusterId, name: 'bad', ...body })
      t.equal(res.status, 400, `${what}: 400`)
      t.equal(res.body.code, 'VALIDATION_FAILED', `${what}: VALIDATION_FAILED`)
      t.ok((res.body.details?.issues ?? []).some((i: { path: string }) => i.path.startsWith(path)), `${what}: names ${path} (${JSON.stringify(res.body.details?.issues)})`)
    }
    t.same(await rowCounts(h.store), before, 'no job and no event written')
    // The limits themselves are accepted (the body as a whole stays under --body-limit-bytes).
    const edge = await h.submit({
      cluster_id: c.clusterId, name: 'edge', command: [...Array.from({ length: 255 }, () => 'a'), 'é'.repeat(2048)],
      env: Object.fromEntries(Array.from({ length: 128 }, (_, i) => [`V${i}`, i === 0 ? 'x'.repeat(32 * 1024) : 'x'])), workdir: '/',
    })
    t.equal(edge.status, 201, 'at the limits: accepted')
  })

  t.test('assignments: a node\'s running executed jobs with their GPUs; auth, hostname and wait_s checked', async t => {
    const { h, c, host, otherHost, agent, bound, assignments, run } = await setup(t)
    const empty = await assignments(`hostname=${host}`)
    t.match(empty, { status: 200, body: { node_id: c.nodes[0]!.id, etag: String, jobs: [] } })

    const exec = await run({ gpu_count: 2, command: ['sh', '-c', 'exit 3'], env: { A: 'b' }, time_limit_min: 5 })
    const set = await assignments(`hostname=${host}`)
    t.equal(set.status, 200)
    t.same(set.body.jobs, [{
      job_id: exec.id, run: Date.parse(exec.started_at), command: ['sh', '-c', 'exit 3'], env: { A: 'b' }, workdir: null,
      gpu_uuids: ['GPU-aaaa', 'GPU-bbbb'], gpu_indices: [0, 1], time_limit_min: 5, started_at: exec.started_at,
    }], 'the executed job only, GPUs in index order')
    t.not(set.body.etag, empty.body.etag, 'the etag changed with the set')
    t.equal((await assignments(`hostname=${host}`)).body.etag, set.body.etag, 'same set, same etag')
    t.equal((await assignments(`hostname=${host}&known=${set.body.etag}`)).body.etag, set.body.etag, 'wait_s absent: answers at once')

    // An allocation on the same node is never assigned to its agent.
    t.equal((await h.req('PATCH', `/api/jobs/${exec.id}`, { body: { status: 'cancelled' } })).status, 200)
    await run({ name: 'alloc' })
    const one = await run({ command: ['nvidia-smi'] })
    const mixed = (await assignments(`hostname=${host}`)).body
    t.same(mixed.jobs.map((j: { job_id: number }) => j.job_id), [one.id], 'the executed job only')
    t.equal(mixed.jobs[0].gpu_uuids.length, 1)
    t.same(mixed.jobs[0].env, {}, 'no env: an empty map')

    t.equal((await assignments(`hostname=${host}`, bound)).status, 200, 'a key bound to the node\'s cluster')
    const foreign = await assignments(`hostname=${otherHost}`, bound)
    t.match(foreign, { status: 403, body: { code: 'NODE_OWNED_BY_OTHER_CLUSTER' } }, 'a key bound to another cluster is refused')
    t.match(await assignments('hostname=nope'), { status: 404, body: { code: 'NODE_NOT_FOUND' } })
    for (const q of ['', `hostname=${host}&wait_s=31`, `hostname=${host}&wait_s=-1`, `hostname=${host}&wait_s=1.5`, `hostname=${host}&wait_s=x`]) {
      t.match(await assignments(q), { status: 400, body: { code: 'VALIDATION_FAILED' } }, `400 for "${q}"`)
    }
    const reader = (await h.req('POST', '/api/api-keys', { body: { label: 'r', permissions: ['read'] } })).body.key as string
    t.equal((await assignments(`hostname=${host}`, reader)).status, 403, 'a read key lacks the ingest scope')
    t.equal((await h.req('GET', `/api/agent/assignments?hostname=${host}`, { key: null })).status, 401)
    const tenant = await h.tenant('t', 4)
    const tenantKey = (await h.req('POST', '/api/api-keys', { body: { label: 'tk', permissions: ['read', 'write'], tenant_id: tenant } })).body.key as string
    t.equal((await assignments(`hostname=${host}`, tenantKey)).status, 403, 'a tenant-bound key never reads the agents\' lane')
    void agent
  })

  t.test('assignments long poll: waits while known is current; a start and a cancel in this process wake it at once', async t => {
    const { h, c, host, assignments, run } = await setup(t)
    const first = (await assignments(`hostname=${host}`)).body
    const t0 = h.clock.now()
    const poll = assignments(`hostname=${host}&known=${first.etag}&wait_s=30`)
    await until('the poll to wait', () => h.watch.waiting() === 1)
    const job = await run({ command: ['sleep', '600'] })
    const woke = await poll
    t.equal(woke.status, 200)
    t.same(woke.body.jobs.map((j: { job_id: number }) => j.job_id), [job.id], 'answered with the started job')
    t.ok(h.clock.now() - t0 < 1000, 'woken by the start, before the first re-check fell due')
    t.equal(h.watch.waiting(), 0)

    const poll2 = assignments(`hostname=${host}&known=${woke.body.etag}&wait_s=30`)
    await until('the poll to wait', () => h.watch.waiting() === 1)
    const t1 = h.clock.now()
    t.equal((await h.req('PATCH', `/api/jobs/${job.id}`, { body: { status: 'cancelled' } })).status, 200)
    const gone = await poll2
    t.same(gone.body.jobs, [], 'the cancelled job left the set')
    t.equal(gone.body.etag, first.etag, 'the empty set has the empty set\'s etag again')
    t.equal(h.clock.now(), t1, 'woken by the cancel itself')
    void c
  })

  t.test('assignments long poll: another replica\'s change is seen by the ~1 s re-check; an unchanged set answers at wait_s', async t => {
    const { h, host, assignments, run } = await setup(t)
    const job = await run({ command: ['sleep', '600'] })
    const set = (await assignments(`hostname=${host}`)).body
    const poll = assignments(`hostname=${host}&known=${set.etag}&wait_s=30`)
    await until('the poll to wait', () => h.watch.waiting() === 1)
    // Written straight to the store, as another replica would: nothing here is told.
    await h.store.jobs.applyChange(job.id, { status: 'running', pendingReason: null }, { kind: 'end', status: 'cancelled', by: 'replica-b' }, h.clock.now())
    for (let i = 0; i < 5; i++) await h.idle()
    t.equal(h.watch.waiting(), 1, 'still waiting: no notification came')
    await h.clock.advance(1000)
    const seen = await poll
    t.same(seen.body.jobs, [], 'the re-check saw the change')

    const quiet = assignments(`hostname=${host}&known=${seen.body.etag}&wait_s=3`)
    for (let s = 0; s < 3; s++) {
      await until('the poll to wait', () => h.watch.waiting() === 1)
      await h.clock.advance(1000)
    }
    const same = await quiet
    t.equal(same.status, 200)
    t.equal(same.body.etag, seen.body.etag, 'the unchanged set at the end of wait_s')
    t.equal(h.watch.waiting(), 0, 'no waiter left behind')
  })

  t.test('assignments long poll: a client that goes away, or the server stopping, ends the wait with no timer left', async t => {
    const closing = new AbortController()
    const { h, host, agent, assignments } = await setup(t, { closing: closing.signal })
    const etag = (await assignments(`hostname=${host}`)).body.etag
    const timersBefore = h.clock.pending()
    const gone = new AbortController()
    const env = { incoming: { socket: { remoteAddress: '192.0.2.1', remotePort: 40000, remoteFamily: 'IPv4' } } }
    const poll = h.app.request(`/api/agent/assignments?hostname=${host}&known=${etag}&wait_s=30`, { headers: { authorization: `Bearer ${agent}` }, signal: gone.signal }, env)
    await until('the poll to wait', () => h.watch.waiting() === 1)
    t.equal(h.clock.pending(), timersBefore + 1, 'one re-check timer while it waits')
    gone.abort()
    await Promise.resolve(poll).then(r => r.text()).catch(() => {})
    await until('the waiter to go', () => h.watch.waiting() === 0)
    t.equal(h.clock.pending(), timersBefore, 'its timer cleared')

    const poll2 = assignments(`hostname=${host}&known=${etag}&wait_s=30`)
    await until('the poll to wait', () => h.watch.waiting() === 1)
    closing.abort()
    const res = await poll2
    t.match(res, { status: 200, body: { etag } }, 'answered the current set at once')
    t.equal(h.clock.pending(), timersBefore, 'no timer left')
    const after = await assignments(`hostname=${host}&known=${etag}&wait_s=30`)
    t.equal(after.status, 200, 'while stopping, a poll answers at once')
  })

  t.test('run events: started keeps the pid; exit 0 → completed, GPUs released exactly at the exit (metering)', async t => {
    const { h, host, event, run, exited, assignments } = await setup(t)
    const job = await run({ gpu_count: 2, command: ['true'] })
    const runId = Date.parse(job.started_at)
    await h.clock.advance(5000)
    const started = { event: 'started', hostname: host, run: runId, pid: 4242, at: new Date(h.clock.now()).toISOString() }
    t.same((await event(job.id, started)).body, { ok: true, job_status: 'running' })
    t.same((await event(job.id, started)).body, { ok: true, job_status: 'running' }, 'again: idempotent')
    t.equal((await h.job(job.id)).pid, 4242)
    t.equal((await h.job(job.id)).events.filter((e: { kind: string }) => e.kind === 'process_started').length, 1, 'one event')

    await h.clock.advance(60_000)
    const exitAt = h.clock.now() - 30_000
    const res = await event(job.id, exited(job, { at: new Date(exitAt).toISOString() }))
    t.same(res.body, { ok: true, job_status: 'completed' })
    const done = await h.job(job.id)
    t.match(done, { status: 'completed', end_reason: null, exit_code: 0, exit_signal: null, ended_at: new Date(exitAt).toISOString(), pid: 4242 })
    t.same(done.gpus.map((g: { released_at: string }) => g.released_at), [new Date(exitAt).toISOString(), new Date(exitAt).toISOString()], 'metering closes at the exit')
    t.same((await assignments(`hostname=${host}`)).body.jobs, [], 'no longer assigned')
    t.same((await event(job.id, exited(job, { exit_code: 1, failure: 'EXIT_CODE' }))).body, { ok: true, job_status: 'completed' }, 'a repeat changes nothing')
    t.match(await h.job(job.id), { status: 'completed', exit_code: 0 })
    t.same((await event(job.id, started)).body, { ok: true, job_status: 'completed' }, 'a late start is a no-op')
  })

  t.test('run events: non-zero exit, signal, launch failure → failed with the reason; the time is clamped to [start, now]', async t => {
    const { h, event, run, exited } = await setup(t)
    const three = await run({ command: ['sh', '-c', 'exit 3'] })
    await h.clock.advance(1000)
    t.same((await event(three.id, exited(three, { exit_code: 3, failure: 'EXIT_CODE', message: 'exited with status 3', at: '2000-01-01T00:00:00Z' }))).body, { ok: true, job_status: 'failed' })
    const failed = await h.job(three.id)
    t.match(failed, { status: 'failed', end_reason: 'EXIT_CODE', exit_code: 3, exit_signal: null, ended_at: three.started_at })
    t.equal(failed.gpus[0].released_at, three.started_at, 'an exit before the start is clamped to the start')
    t.match(failed.events.find((e: { kind: string }) => e.kind === 'exited'), { detail: { exit_code: 3, failure: 'EXIT_CODE', message: 'exited with status 3' } })

    const killed = await run({ command: ['sleep', '600'] })
    await h.clock.advance(1000)
    t.same((await event(killed.id, exited(killed, { exit_code: null, signal: 'SIGKILL', failure: 'SIGNAL', at: '2999-01-01T00:00:00Z' }))).body, { ok: true, job_status: 'failed' })
    t.match(await h.job(killed.id), { status: 'failed', end_reason: 'SIGNAL', exit_code: null, exit_signal: 'SIGKILL', ended_at: new Date(h.clock.now()).toISOString() }, 'a future exit is clamped to now')

    const never = await run({ command: ['no-such-binary'] })
    t.same((await event(never.id, exited(never, { exit_code: null, failure: 'LAUNCH_FAILED', message: 'argv[0] not found' }))).body, { ok: true, job_status: 'failed' })
    t.match(await h.job(never.id), { status: 'failed', end_reason: 'LAUNCH_FAILED', exit_code: null })

    const limit = await run({ command: ['sleep', '600'] })
    t.same((await event(limit.id, exited(limit, { exit_code: null, signal: 'SIGTERM', failure: 'TIMEOUT' }))).body, { ok: true, job_status: 'failed' })
    t.match(await h.job(limit.id), { status: 'failed', end_reason: 'TIMEOUT', exit_signal: 'SIGTERM' })
  })

  t.test('run events: an exit after a cancel or a scheduler TIMEOUT only records the exit; an old run changes nothing', async t => {
    const { h, host, event, run, exited, assignments } = await setup(t)
    const job = await run({ command: ['sleep', '600'] })
    t.equal((await h.req('PATCH', `/api/jobs/${job.id}`, { body: { status: 'cancelled' } })).status, 200)
    const cancelled = await h.job(job.id)
    await h.clock.advance(2000)
    t.same((await event(job.id, exited(job, { exit_code: null, signal: 'SIGTERM', failure: null }))).body, { ok: true, job_status: 'cancelled' })
    const after = await h.job(job.id)
    t.match(after, { status: 'cancelled', end_reason: null, exit_code: null, exit_signal: 'SIGTERM', ended_at: cancelled.ended_at }, 'never reopened; the exit kept')
    t.same(after.gpus.map((g: { released_at: string }) => g.released_at), cancelled.gpus.map((g: { released_at: string }) => g.released_at), 'metering untouched')
    t.same((await event(job.id, exited(job, { exit_code: 0 }))).body, { ok: true, job_status: 'cancelled' })
    t.equal((await h.job(job.id)).exit_signal, 'SIGTERM', 'the first exit reported is kept')

    const timed = await run({ command: ['sleep', '600'], time_limit_min: 1 })
    const withTimed = (await assignments(`hostname=${host}`)).body
    t.equal(withTimed.jobs.length, 1)
    const poll = assignments(`hostname=${host}&known=${withTimed.etag}&wait_s=30`)
    await until('the poll to wait', () => h.watch.waiting() === 1)
    h.clock.set(h.clock.now() + 60_000)
    await h.scheduler.runCycle('test')
    t.match(await h.job(timed.id), { status: 'failed', end_reason: 'TIMEOUT' }, 'the scheduler ended it first')
    t.same((await poll).body.jobs, [], 'the time limit woke the agent\'s poll: the job is no longer assigned')
    t.same((await event(timed.id, exited(timed, { exit_code: null, signal: 'SIGKILL', failure: 'TIMEOUT' }))).body, { ok: true, job_status: 'failed' })
    t.match(await h.job(timed.id), { status: 'failed', end_reason: 'TIMEOUT', exit_signal: 'SIGKILL' })

    await h.refresh() // the agents' readings, a minute on
    const current = await run({ command: ['sleep', '600'] })
    const old = { ...exited(current), run: Date.parse(current.started_at) - 1, exit_code: 3, failure: 'EXIT_CODE' }
    t.same((await event(current.id, old)).body, { ok: true, job_status: 'running' }, 'another run\'s exit: a no-op')
    t.same((await event(current.id, { event: 'started', hostname: host, run: old.run, pid: 7, at: old.at })).body, { ok: true, job_status: 'running' })
    t.match(await h.job(current.id), { status: 'running', pid: null, exit_code: null })
  })

  t.test('run events: a requeued job\'s old run, reported from its old node, never touches the new run', async t => {
    const { h, c, host, nodeId, event, run, exited } = await setup(t)
    const job = await run({ command: ['sleep', '600'], requeue: true })
    // The node goes silent past the grace period: the job is requeued, then starts again when the node is back.
    const lost = h.clock.now() + 600_000
    await h.store.fleet.markStaleNodesOffline(h.clock.now() + 1, lost)
    t.match(await h.store.jobs.failLostNodeJobs(lost - 1, lost), [{ requeued: true }])
    t.match(await h.job(job.id), { status: 'queued', pid: null, started_at: null })
    h.clock.set(lost + 1)
    const gpus = await h.store.fleet.listGpus({ nodeId })
    await h.store.fleet.recordActivity({ seen: [{ nodeId, at: h.clock.now(), via: 'test' }], readings: gpus.map(g => ({ gpuId: g.id, at: h.clock.now(), status: 'idle' as const, utilizationPct: 0, memoryUsedMb: 0, memoryTotalMb: 81920, temperatureC: 40, powerDrawW: 90 })) })
    h.scheduler.poke('test')
    await h.settle()
    await until('the second run', async () => (await h.job(job.id)).status === 'running')
    const second = await h.job(job.id)
    t.not(second.started_at, job.started_at, 'a new run')
    t.same((await event(job.id, exited(job, { exit_code: 137, signal: null, failure: 'EXIT_CODE' }))).body, { ok: true, job_status: 'running' }, 'the old run\'s exit: a no-op')
    t.match(await h.job(job.id), { status: 'running', exit_code: null, end_reason: null })
    t.same((await event(job.id, exited(second))).body, { ok: true, job_status: 'completed' }, 'the current run\'s exit ends it')
    void c; void host
  })

  t.test('run events: unknown job 404, another node\'s job 409, another cluster\'s node 403, bad bodies 400', async t => {
    const { h, host, otherHost, bound, event, run, exited, other } = await setup(t)
    const job = await run({ command: ['sleep', '600'] })
    const elsewhere = await run({ command: ['sleep', '600'] }, other.clusterId)
    t.match(await event(999, exited(job)), { status: 404, body: { code: 'JOB_NOT_FOUND' } })
    t.match(await event(job.id, { ...exited(job), hostname: 'nope' }), { status: 404, body: { code: 'NODE_NOT_FOUND' } })
    t.match(await event(elsewhere.id, exited(elsewhere)), { status: 409, body: { code: 'JOB_ON_OTHER_NODE' } }, 'the job runs on another node')
    t.match(await event(elsewhere.id, { ...exited(elsewhere), hostname: otherHost }, bound), { status: 403, body: { code: 'NODE_OWNED_BY_OTHER_CLUSTER' } })
    const bad: Array<[string, unknown]> = [
      ['no event', { hostname: host, run: 1, at: '2026-01-01T00:00:00Z' }],
      ['an unknown event', { ...exited(job), event: 'paused' }],
      ['an unknown failure', { ...exited(job), failure: 'OOPS' }],
      ['an extra field', { ...exited(job), extra: 1 }],
      ['run 0', { ...exited(job), run: 0 }],
      ['a fractional exit code', { ...exited(job), exit_code: 1.5 }],
      ['a bad time', { ...exited(job), at: 'yesterday' }],
      ['a bad signal', { ...exited(job), signal: 'kill -9' }],
      ['started without pid', { event: 'started', hostname: host, run: 1, at: '2026-01-01T00:00:00Z' }],
      ['pid 0', { event: 'started', hostname: host, run: 1, pid: 0, at: '2026-01-01T00:00:00Z' }],
      ['NUL in the message', { ...exited(job), message: 'a\u0000' }],
    ]
    for (const [what, body] of bad) t.match(await h.req('POST', `/api/agent/jobs/${job.id}/events`, { key: bound, body }), { status: 400, body: { code: 'VALIDATION_FAILED' } }, what)
    t.match(await h.req('POST', '/api/agent/jobs/abc/events', { key: bound, body: exited(job) }), { status: 400 })
    t.match(await h.job(job.id), { status: 'running', exit_code: null }, 'nothing changed')
    const res: Res = await event(job.id, exited(job), bound)
    t.same(res.body, { ok: true, job_status: 'completed' }, 'the node\'s own cluster key')
  })
}
