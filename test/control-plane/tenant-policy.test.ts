import t, { type Test } from 'tap'
import { cpHarness, isError, type Res } from './cp-harness.ts'
import { productParts } from '../../control-plane/product-parts.ts'
import { TENANT_POLICY, policyKey, tenantRule } from '../../control-plane/auth/tenant-policy.ts'
import { createScheduler } from '../../control-plane/scheduling/create-scheduler.ts'
import type { GpuSample } from '../../control-plane/store/telemetry-repository.ts'
import type { Scope } from '../../shared/wire/introspect.ts'
import { addCluster } from './scheduling/fleet-fixture.ts'
import { noGpuReadings } from '../helpers/no-gpu-readings.ts'

const TENANT_SCOPES: Scope[] = ['read', 'write', 'admin', 'ingest']
const silent = { debug () {}, info () {}, warn () {}, error () {} }

/**
 * The whole product on one store: a cluster of two 2-GPU nodes, tenants A and B with a
 * running 2-GPU job each, a sample for every GPU, and tenant-bound keys of every scope for A.
 */
async function setup (t: Test) {
  const h = await cpHarness(t, { routers: productParts().routers })
  const at = h.now()
  const c = await addCluster(h.store, 'c', [{ gpus: 2 }, { gpus: 2 }], at)
  // Tenant B runs alone on its own cluster: tenant A must not learn that it exists.
  const zeta = await addCluster(h.store, 'zeta', [{ gpus: 2 }], at)
  const tenant = async (name: string) => (await h.req('POST', '/api/tenants', { key: h.root, body: { name, gpu_quota: 4 } })).body.id as number
  const a = await tenant('tenant-a')
  const b = await tenant('tenant-b')
  const submit = async (tenantId: number | null, name: string, clusterId: number) =>
    (await h.req('POST', '/api/jobs', { key: h.root, body: { cluster_id: clusterId, name, gpu_count: 2, ...(tenantId === null ? {} : { tenant_id: tenantId }) } })).body.id as number
  const jobA = await submit(a, 'a-run', c.clusterId)
  const jobB = await submit(b, 'b-run', zeta.clusterId)
  // A tenant-less job beside A's, which no tenant may see either.
  await submit(null, 'loose-run', c.clusterId)
  await createScheduler({ store: h.store, now: h.now, log: silent }).runCycle('test')
  const nodes = await h.store.fleet.listNodes()
  await h.store.telemetry.insertSamples(nodes.map(n => ({
    nodeId: n.id, clusterId: n.clusterId, hostname: n.hostname, samples: [0, 1].map(i => sample(i, at)),
  })))
  const keys = Object.fromEntries(await Promise.all(TENANT_SCOPES.map(async s => [s, (await h.mint([s], { tenant_id: a })).key] as const))) as Record<Scope, string>
  return { h, c, a, b, jobA, jobB, keys }
}

function sample (gpuId: number, at: number): GpuSample {
  return {
    ...noGpuReadings(),
    gpuId, recordedAt: at - 1000, name: 'NVIDIA H100 80GB HBM3', uuid: null, pciBusId: null, powerDrawW: 100, tempC: 40, memoryUsedMb: 1,
    memoryTotalMb: 81920, utilizationPct: 50, powerDrawAvgW: null, powerLimitW: null, memoryTempC: null, memoryReservedMb: null,
    memoryUtilizationPct: null, smClockMhz: null, memClockMhz: null, eccErrorsCorrected: null, eccErrorsUncorrected: null,
  }
}

async function openapiRoutes (h: Awaited<ReturnType<typeof cpHarness>>): Promise<Array<{ method: string, path: string }>> {
  const doc = (await h.req('GET', '/openapi.json')).body as { paths: Record<string, Record<string, unknown>> }
  return Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map(m => ({ method: m.toUpperCase(), path })))
}

t.test('every route in /openapi.json has a tenancy decision, and the table names no route that is gone', async t => {
  const { h } = await setup(t)
  const routes = await openapiRoutes(h)
  t.ok(routes.length > 50, `${routes.length} routes`)
  const keys = routes.map(r => `${r.method} ${r.path}`)
  t.same(keys.filter(k => TENANT_POLICY[k] === undefined), [], 'a new route needs an entry in control-plane/auth/tenant-policy.ts')
  t.same(Object.keys(TENANT_POLICY).filter(k => !keys.includes(k)), [], 'no stale entries')
})

t.test('policyKey reads Hono paths and HEAD as GET', async t => {
  t.equal(policyKey('head', '/api/jobs/:id'), 'GET /api/jobs/{id}')
  t.equal(tenantRule('PUT', '/v1/global-env/:key')?.access, 'deny')
  t.equal(tenantRule('GET', '/nowhere'), undefined)
})

/** A concrete request for each templated path: ids name tenant B's objects where there are any. */
function concrete (path: string, ids: { b: number, jobB: number, clusterId: number }): string {
  return path
    .replace('/api/tenants/{id}', `/api/tenants/${ids.b}`)
    .replace('/api/jobs/{id}', `/api/jobs/${ids.jobB}`)
    .replace('/api/clusters/{id}', `/api/clusters/${ids.clusterId}`)
    .replace('{id}', '1').replace('{gpu_type}', 'H100').replace('{name}', 'ep').replace('{key}', 'ANALYTICS_SOURCE_ALIASES')
}

t.test('every route with a tenant-bound key of each scope: deny is 403 for all; own/shared is never a tenancy refusal', async t => {
  const { h, b, jobB, c, keys } = await setup(t)
  const routes = await openapiRoutes(h)
  const before = await snapshot(h)
  for (const { method, path } of routes) {
    const rule = TENANT_POLICY[`${method} ${path}`]
    if (rule === undefined || rule.access === 'public') continue
    const url = concrete(path, { b, jobB, clusterId: c.clusterId }) + (path === '/v1/route' ? '?model=m' : '')
    const answers: Array<[Scope, Res]> = []
    for (const scope of TENANT_SCOPES) {
      const body = method === 'GET' || method === 'DELETE' ? undefined : path === '/api/auth/introspect' ? { key: keys.read } : {}
      answers.push([scope, await h.req(method, url, { key: keys[scope], ...(body === undefined ? {} : { body }) })])
    }
    for (const [scope, res] of answers) {
      t.not(res.status, 500, `${method} ${url} as ${scope}: no 500`)
      if (rule.access === 'deny') {
        t.equal(res.status, 403, `${method} ${path} as tenant-bound ${scope}: 403 (${rule.why})`)
        // An array answer (/v1/global-env) refuses with [] and the code in X-Error-Code (issue 16).
        t.equal(Array.isArray(res.body) ? res.headers.get('x-error-code') : res.body.code, 'FORBIDDEN')
      } else {
        t.not(res.body?.details?.tenant_bound, true, `${method} ${path} as tenant-bound ${scope}: no tenancy refusal`)
        t.notMatch(res.text, /tenant-b|b-run|loose-run|zeta/, `${method} ${path} as ${scope}: names no other tenant, its jobs or its cluster`)
      }
    }
    if (rule.access !== 'deny') {
      t.ok(answers.some(([, res]) => res.status !== 403), `${method} ${path}: some tenant-bound scope gets through (${answers.map(([s, r]) => `${s}=${r.status}`).join(' ')})`)
    }
  }
  t.equal(await snapshot(h), before, 'no refused write changed anything')
})

async function snapshot (h: Awaited<ReturnType<typeof cpHarness>>): Promise<string> {
  const paths = ['/api/clusters', '/api/tenants', '/api/jobs?limit=500', '/api/rates', '/api/alerts/rules', '/v1/global-env', '/api/api-keys']
  return JSON.stringify(await Promise.all(paths.map(async p => {
    const body = (await h.req('GET', p, { key: h.root })).body
    // last_used_at moves with every request a key makes; the keys themselves must not change.
    return p === '/api/api-keys' ? body.map((k: Record<string, unknown>) => ({ ...k, last_used_at: null })) : body
  })))
}

t.test('GPU telemetry: a tenant-bound key sees only the GPUs its running jobs hold', async t => {
  const { h, a, jobA, keys } = await setup(t)
  const all = (await h.req('GET', '/api/gpu-stats', { key: h.root })).body as Array<{ node_id?: number, gpu_id: number }>
  t.equal(all.length, 6, 'the operator sees every GPU')
  const held = (await h.store.jobs.gpusOf(jobA))
  t.equal(held.length, 2)
  const mine = (await h.req('GET', '/api/gpu-stats', { key: keys.read })).body as unknown[]
  t.equal(mine.length, 2, 'tenant A sees its 2 GPUs')
  const allocation = await h.store.jobs.allocation({ tenantId: a })
  const expected = allocation.map(g => `${g.hostname}/${g.gpuIndex}`).sort()
  t.same((mine as Array<{ hostname: string, gpu_id: number }>).map(r => `${r.hostname}/${r.gpu_id}`).sort(), expected)
  t.same((await h.req('GET', '/api/gpu-stats?cluster_id=999', { key: keys.read })).body, [], 'filters still apply')

  await h.req('PATCH', `/api/jobs/${jobA}`, { key: keys.write, body: { status: 'cancelled' } })
  t.same((await h.req('GET', '/api/gpu-stats', { key: keys.read })).body, [], 'no running job, no GPUs')
  isError(t, await h.req('GET', '/api/gpu-stats/power-history', { key: keys.read }), 403, 'FORBIDDEN')
})

t.test('admin analytics refuse tenant-bound admin keys with seed 001\'s empty result beside the error', async t => {
  const { h, keys } = await setup(t)
  const res = await h.req('GET', '/v1/history/compute', { key: keys.admin })
  t.match(res, { status: 403, body: { code: 'FORBIDDEN', details: { tenant_bound: true }, jobs: [], has_more: false } })
  t.equal((await h.req('GET', '/v1/history/compute', { key: h.root })).status, 200, 'an operator key still reads it')
})

t.test('foreign ids answer 404 exactly like unknown ones on own routes', async t => {
  const { h, b, jobB, keys } = await setup(t)
  for (const [path, code] of [[`/api/tenants/${b}`, 'TENANT_NOT_FOUND'], [`/api/tenants/${b}/usage`, 'TENANT_NOT_FOUND'], [`/api/jobs/${jobB}`, 'JOB_NOT_FOUND']] as const) {
    const foreign = await h.req('GET', path, { key: keys.read })
    const unknown = await h.req('GET', path.replace(/\/\d+/, '/999'), { key: keys.read })
    isError(t, foreign, 404, code, `${path}: 404`)
    t.equal(foreign.body.message.replace(/\d+/g, 'N'), unknown.body.message.replace(/\d+/g, 'N'), 'same words as for an unknown id')
  }
})
