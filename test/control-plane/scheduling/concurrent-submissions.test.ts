import t from 'tap'
import type { Res } from '../cp-harness.ts'
import { schedulingHarness } from './scheduling-harness.ts'
import { mulberry32 } from '../../helpers/mulberry32.ts'

t.test('50 concurrent submissions at a time, with cycles and job ends in between: no GPU twice, no quota exceeded, ever', async t => {
  const h = await schedulingHarness(t)
  const rnd = mulberry32(42)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T
  const h100 = await h.cluster('h100', [{ gpus: 8 }, { gpus: 8 }, { gpus: 4 }, { gpus: 2 }])
  const a100 = await h.cluster('a100', [{ gpus: 8, model: 'NVIDIA A100-SXM4-80GB' }, { gpus: 8, model: 'NVIDIA A100-SXM4-80GB' }])
  const tenants = [await h.tenant('t1', 12), await h.tenant('t2', 16), await h.tenant('t3', 4)]
  const keys = await Promise.all(tenants.map(id => h.mint(['read', 'write'], id)))
  let submitted = 0

  const submitMany = (n: number) => Array.from({ length: n }, () => {
    const bound = rnd() < 0.5
    const which = Math.floor(rnd() * tenants.length)
    const body = {
      cluster_id: pick([h100.clusterId, a100.clusterId]),
      name: `job-${submitted++}`,
      gpu_count: pick([1, 1, 1, 2, 2, 3, 4, 8, 12]),
      priority: 1 + Math.floor(rnd() * 10),
      ...(rnd() < 0.3 ? { gpu_type: pick(['H100', 'A100', 'nvidia a100-sxm4-80gb']) } : {}),
      ...(bound ? {} : rnd() < 0.5 ? { tenant_id: tenants[which] } : {}),
    }
    return bound ? h.submit(body, keys[which]) : h.submit(body)
  })

  for (let round = 0; round < 4; round++) {
    // 50 submissions in flight at once, two cycles racing them, and some running jobs ending.
    const running = (await h.req('GET', '/api/jobs?status=running&limit=500')).body.jobs as Array<{ id: number }>
    const ends = running.filter(() => rnd() < 0.5).map(j => h.req('PATCH', `/api/jobs/${j.id}`, { body: { status: pick(['completed', 'failed', 'cancelled']) } }))
    const results = await Promise.all([...submitMany(25), h.scheduler.runCycle('race'), ...ends, ...submitMany(25), h.scheduler.runCycle('race')])
    const statuses = results.filter((r): r is Res => typeof r === 'object' && r !== null && 'status' in r && typeof r.status === 'number')
    t.ok(statuses.every(r => r.status === 201 || r.status === 200), `round ${round}: every request answered 2xx`)
    await h.settle()
  }
  await h.checker.check()
  t.same(h.checker.violations, [], `invariants held after each of ${h.checker.checks()} checks`)

  const all = (await h.req('GET', '/api/jobs?limit=500')).body
  t.equal(all.total, 200, 'every submission stored once')
  const byStatus = new Map<string, number>()
  for (const j of all.jobs) byStatus.set(j.status, (byStatus.get(j.status) ?? 0) + 1)
  t.ok((byStatus.get('running') ?? 0) > 0 && (byStatus.get('completed') ?? 0) + (byStatus.get('failed') ?? 0) + (byStatus.get('cancelled') ?? 0) > 0,
    `a real mix: ${JSON.stringify(Object.fromEntries(byStatus))}`)
  for (const tenant of (await h.req('GET', '/api/tenants')).body) {
    t.ok(tenant.gpus_in_use <= tenant.gpu_quota, `tenant ${tenant.name}: ${tenant.gpus_in_use} of ${tenant.gpu_quota} GPUs`)
  }
  const alloc = (await h.req('GET', '/api/dashboard/gpu-allocation')).body
  t.equal(new Set(alloc.gpus.map((g: { gpu_id: number }) => g.gpu_id)).size, alloc.gpus.length, 'each GPU listed once (one holder at most)')
})
