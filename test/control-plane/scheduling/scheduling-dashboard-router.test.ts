import t from 'tap'
import { createRouter } from '../../../control-plane/http/create-router.ts'
import { createFleetRouter } from '../../../control-plane/fleet/create-fleet-router.ts'
import { createFleetJobHooks } from '../../../control-plane/scheduling/create-fleet-job-hooks.ts'
import { createOnError, notFound } from '../../../shared/on-error.ts'
import { memoryLog, testRequireScope } from '../router-harness.ts'
import { schedulingHarness } from './scheduling-harness.ts'

t.test('GET /api/scheduler/logs: newest first, limit 1..100 (default 20), what each cycle did and why', async t => {
  const h = await schedulingHarness(t)
  const c = await h.cluster('c', [{ gpus: 2 }])
  const tenant = await h.tenant('acme', 1)
  await h.settle()
  const run = (await h.submit({ cluster_id: c.clusterId, name: 'runs', gpu_count: 1, tenant_id: tenant })).body.id
  const quota = (await h.submit({ cluster_id: c.clusterId, name: 'quota', gpu_count: 1, tenant_id: tenant })).body.id
  await h.settle()
  const logs = (await h.req('GET', '/api/scheduler/logs')).body
  t.equal(logs.length, 2)
  t.match(logs[0], {
    id: 2, trigger: 'poke:submit', processed: 2, started: 1, blocked: 1, duration_ms: Number, started_at: String,
    waiting: { QUOTA: 1 },
    started_jobs: [{ job_id: run, node_ids: [c.nodes[0]!.id], gpu_ids: [c.nodes[0]!.gpuIds[0]], waited_ms: 200, was: 'CAPACITY' }],
    changes: [{ job_id: quota, status: 'blocked', pending_reason: 'QUOTA', block_reason: "waiting for the tenant's GPU quota of 1", was: 'CAPACITY' }],
    detail: { free_gpus_before: 2, free_gpus_after: 1, truncated: { started: 0, changed: 0 } },
  })
  t.match(logs[1], { id: 1, trigger: 'poke:start', processed: 0 })
  for (let i = 0; i < 25; i++) await h.scheduler.runCycle('manual')
  t.equal((await h.req('GET', '/api/scheduler/logs')).body.length, 20, 'default 20')
  t.equal((await h.req('GET', '/api/scheduler/logs?limit=1')).body[0].id, 27)
  t.equal((await h.req('GET', '/api/scheduler/logs?limit=100')).body.length, 27)
})

t.test('GET /api/dashboard/scheduling-metrics: queue depth by reason, waits p50/p95 and the oldest, 24 h throughput, per cluster', async t => {
  const h = await schedulingHarness(t)
  const c = await h.cluster('c', [{ gpus: 1 }])
  await h.cluster('idle', [{ gpus: 1 }])
  await h.settle()
  // Ten jobs one after another on one GPU: job i waits about i × 10 s.
  const ids: number[] = []
  for (let i = 0; i < 10; i++) ids.push((await h.submit({ cluster_id: c.clusterId, name: `j${i}` })).body.id)
  await h.settle()
  for (let i = 0; i < 9; i++) {
    await h.clock.advance(9_800)
    await h.refresh()
    await h.req('PATCH', `/api/jobs/${ids[i]}`, { body: { status: i === 3 ? 'failed' : 'completed' } })
    await h.settle()
  }
  await h.submit({ cluster_id: c.clusterId, name: 'too-big', gpu_count: 2 })
  const m = (await h.req('GET', '/api/dashboard/scheduling-metrics')).body
  t.match(m, {
    generated_at: new Date(h.clock.now()).toISOString(),
    window_hours: 24,
    queue_depth: { total: 1, queued: 0, blocked: 1, by_reason: { NEVER_FITS_CLUSTER: 1, CAPACITY: 0, PRIORITY: 0, QUOTA: 0, OPERATOR_HOLD: 0 } },
    running_jobs: 1,
    wait_times: { started_jobs: 10, p50_seconds: 40.2, p95_seconds: 90.2, max_seconds: 90.2, oldest_waiting_seconds: null, oldest_waiting_job_id: null },
    throughput_24h: { submitted: 11, started: 10, completed: 8, failed: 1, cancelled: 0, completed_per_hour: 0.33 },
    last_cycle: { trigger: String, processed: Number },
  })
  t.same(m.clusters.map((x: Record<string, unknown>) => [x.cluster_name, x.running, x.queued, x.blocked, x.waiting_gpus, x.running_gpus]),
    [['c', 1, 0, 1, 2, 1], ['idle', 0, 0, 0, 0, 0]])

  await h.submit({ cluster_id: c.clusterId, name: 'waits' })
  await h.clock.advance(5000)
  const later = (await h.req('GET', '/api/dashboard/scheduling-metrics')).body
  t.match(later.wait_times, { oldest_waiting_seconds: 5, oldest_waiting_job_id: 12 }, 'the oldest current wait, live')
  h.clock.set(h.clock.now() + 25 * 3600_000)
  t.match((await h.req('GET', '/api/dashboard/scheduling-metrics')).body, { wait_times: { started_jobs: 0, p50_seconds: null }, throughput_24h: { submitted: 0 } }, 'a 24 h window')
})

t.test('GET /api/dashboard/gpu-allocation: every GPU with its holder and live utilization', async t => {
  const h = await schedulingHarness(t)
  const c = await h.cluster('c', [{ gpus: 2 }])
  const other = await h.cluster('other', [{ gpus: 1, model: 'NVIDIA A100' }])
  const tenant = await h.tenant('acme', 4)
  const job = (await h.submit({ cluster_id: c.clusterId, name: 'trainer', tenant_id: tenant, kind: 'training' })).body.id
  await h.settle()
  await h.refresh(new Map([[c.nodes[0]!.gpuIds[0]!, 87.5]]))
  const map = (await h.req('GET', '/api/dashboard/gpu-allocation')).body
  t.match(map, { generated_at: String, total_gpus: 3, allocated_gpus: 1 })
  t.match(map.gpus[0], {
    gpu_id: c.nodes[0]!.gpuIds[0], cluster_id: c.clusterId, cluster_name: 'c', node_id: c.nodes[0]!.id, hostname: String, node_status: 'online',
    gpu_index: 0, model: 'NVIDIA H100 80GB HBM3', status: 'active', utilization_pct: 87.5, allocated: true,
    job: { id: job, name: 'trainer', tenant_id: tenant, tenant_name: 'acme', kind: 'training', assigned_at: String },
  })
  t.match(map.gpus[1], { allocated: false, job: null, utilization_pct: 0, status: 'idle' })
  t.match((await h.req('GET', `/api/dashboard/gpu-allocation?cluster_id=${other.clusterId}`)).body, { total_gpus: 1, gpus: [{ model: 'NVIDIA A100' }] })
  t.match((await h.req('GET', '/api/dashboard/gpu-allocation?cluster_id=999')).body, { total_gpus: 0, gpus: [] })
})

t.test('fleet hooks: live job counts and recent jobs for /api/clusters', async t => {
  const h = await schedulingHarness(t)
  const c = await h.cluster('c', [{ gpus: 1 }])
  const idle = await h.cluster('idle', [{ gpus: 1 }])
  const tenant = await h.tenant('acme', 4)
  await h.submit({ cluster_id: c.clusterId, name: 'run' })
  await h.submit({ cluster_id: c.clusterId, name: 'wait' })
  await h.submit({ cluster_id: c.clusterId, name: 'blocked', gpu_count: 5 })
  await h.submit({ cluster_id: c.clusterId, name: 'mine', tenant_id: tenant })
  await h.settle()
  const hooks = createFleetJobHooks(h.store)
  const { log } = memoryLog()
  const app = createRouter()
  app.route('/', createFleetRouter({
    store: h.store, requireScope: testRequireScope, now: h.clock.now, log, ...hooks,
    createClusterKey: async () => ({ key: 'gfk_x', key_prefix: 'gfk_x' }),
  }))
  app.onError(createOnError(log))
  app.notFound(notFound)
  const list = await (await app.request('/api/clusters', { headers: { authorization: 'Bearer scopes:read' } })).json() as Array<Record<string, unknown>>
  t.match(list, [{ id: c.clusterId, active_jobs: 1, queued_jobs: 3 }, { id: idle.clusterId, active_jobs: 0, queued_jobs: 0 }])
  const detail = await (await app.request(`/api/clusters/${c.clusterId}`, { headers: { authorization: 'Bearer scopes:read' } })).json() as { recent_jobs: Array<{ name: string }> }
  t.same(detail.recent_jobs.map(j => j.name), ['mine', 'blocked', 'wait', 'run'])
  t.match(detail.recent_jobs[0], { id: 4, status: String, pending_reason: String, tenant_id: tenant, submitted_at: String })
  t.same((await hooks.recentJobs(c.clusterId, tenant)).map(j => (j as { name: string }).name), ['mine'], 'narrowed to one tenant')
})
