import t from 'tap'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { postgresTestDatabase } from '../helpers/postgres-test-database.ts'
import { spawnControlPlane, type SpawnedControlPlane } from '../helpers/spawn-control-plane.ts'
import { call, createClusterWithId, registerSims } from './fleet-client.ts'
import { startAckedPushers } from './start-acked-pushers.ts'
import { until } from './until.ts'

// Real processes on a shared box: more than tap's default.
t.setTimeout(300_000)

const role = async (cp: SpawnedControlPlane): Promise<string | undefined> =>
  ((await (await fetch(`${cp.url}/healthz`)).json()) as { details?: { role?: string } }).details?.role

t.test('two replicas on one database: the leader is SIGKILLed, the other takes over within 60 s, scheduling goes on, no GPU held twice, no job started twice', async t => {
  const db = await postgresTestDatabase(t)
  const adminKey = `gfk_${randomBytes(32).toString('hex')}`
  const a = await spawnControlPlane(db.url, { adminKey })
  t.teardown(() => a.kill())
  t.equal(await role(a), 'leader', 'the first replica leads')
  const b = await spawnControlPlane(db.url, { adminKey })
  t.teardown(() => b.kill())
  t.equal(await role(b), 'follower', 'the second follows')
  t.match(await (await fetch(`${b.url}/metrics`)).text(), /^gpufleet_cp_leader 0$/m)

  // 4 nodes × 8 idle GPUs, kept fresh by 1 Hz pushes to the replica that survives.
  const cluster = await createClusterWithId(a.url, adminKey, 'replicas')
  const sims = await registerSims(b.url, cluster.key, 'replicas', 4, 'rep-node', 5)
  const pushers = startAckedPushers(() => b.url, cluster.key, sims, Date.now(), true)
  t.teardown(() => pushers.stop())
  const tenant = await call(a.url, adminKey, 'POST', '/api/tenants', { name: 'acme', gpu_quota: 24 })
  t.equal(tenant.status, 201)
  const submit = async (cp: SpawnedControlPlane, name: string) => {
    const r = await call(cp.url, adminKey, 'POST', '/api/jobs', { cluster_id: cluster.id, name, gpu_count: 4, tenant_id: tenant.json.id })
    if (r.status !== 201) throw new Error(`submit ${name}: ${r.status} ${JSON.stringify(r.json)}`)
    return r.json.id as number
  }
  const jobs = async (status: string) => ((await call(b.url, adminKey, 'GET', `/api/jobs?status=${status}`)).json as { jobs: Array<{ id: number }> }).jobs
  for (let i = 0; i < 8; i++) await submit(a, `before-${i}`)
  await until('the leader started 6 jobs (quota 24 = 6 × 4 GPUs)', async () => (await jobs('running')).length === 6)

  const killedAt = Date.now()
  t.equal((await a.kill()).signal, 'SIGKILL')
  await until('the follower leads', async () => await role(b) === 'leader', 60_000)
  t.comment(`takeover after ${((Date.now() - killedAt) / 1000).toFixed(1)} s (its retry is every 5 s)`)
  t.match(await (await fetch(`${b.url}/metrics`)).text(), /^gpufleet_cp_leader 1$/m)

  // Scheduling goes on, on the new leader: ended jobs free GPUs, waiting and new jobs start.
  const running = await jobs('running')
  for (const j of running.slice(0, 3)) t.equal((await call(b.url, adminKey, 'PATCH', `/api/jobs/${j.id}`, { status: 'completed' })).status, 200)
  const after = await submit(b, 'after-0')
  await submit(b, 'after-1')
  await until('the new leader started the waiting jobs and a new one', async () => {
    const now = await jobs('running')
    return now.length === 6 && now.some(j => j.id === after)
  })
  await pushers.stop()

  const q = new pg.Client({ connectionString: db.url })
  await q.connect()
  t.teardown(() => q.end())
  const doubleHeld = await q.query(`SELECT x.gpu_id FROM job_gpus x JOIN job_gpus y ON x.gpu_id = y.gpu_id AND x.job_id < y.job_id
    WHERE x.assigned_at < COALESCE(y.released_at, 9e15) AND y.assigned_at < COALESCE(x.released_at, 9e15)`)
  t.equal(doubleHeld.rowCount, 0, 'no GPU was ever held by two jobs at once (job_gpus intervals never overlap)')
  const twiceStarted = await q.query("SELECT job_id FROM job_events WHERE kind = 'started' GROUP BY job_id HAVING COUNT(*) > 1")
  t.equal(twiceStarted.rowCount, 0, 'no job started twice (job_events)')
  const started = await q.query<{ n: number }>("SELECT COUNT(DISTINCT job_id)::int AS n FROM job_events WHERE kind = 'started'")
  t.equal(started.rows[0]!.n, 9, '9 jobs started: 6 before the kill, 3 after it on the new leader')
  const held = await q.query<{ id: number, gpu_count: number, held: number }>(`SELECT j.id, j.gpu_count, COUNT(g.gpu_id)::int AS held
    FROM jobs j LEFT JOIN job_gpus g ON g.job_id = j.id AND g.released_at IS NULL WHERE j.status = 'running' GROUP BY j.id, j.gpu_count`)
  t.ok(held.rows.every(r => r.held === r.gpu_count), 'every running job holds exactly its GPUs')
  t.ok(held.rows.reduce((n, r) => n + r.held, 0) <= 24, 'the tenant quota held across the failover')
})
