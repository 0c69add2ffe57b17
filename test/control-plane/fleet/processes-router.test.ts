import t, { type Test } from 'tap'
import { productParts } from '../../../control-plane/product-parts.ts'
import { planCycle } from '../../../control-plane/scheduling/plan-cycle.ts'
import { AGENT_PROCESSES_PATH } from '../../../shared/wire/job-execution.ts'
import { MAX_REPORTED_PROCESSES } from '../../../shared/wire/process-report-schemas.ts'
import { cpHarness, isError, T0 } from '../cp-harness.ts'

const U = (i: number) => `GPU-0000000${i}-aaaa-bbbb-cccc-dddddddddddd`
const proc = (i: number, pid: number, extra = {}) => ({ gpu_uuid: U(i), pid, process_name: 'python3', used_memory_mib: 1024, job_id: null, run: null, ...extra })

/** The whole control plane; clusters east and west with their bound keys; node e-01 (two GPUs) registered by east. */
async function fleet (t: Test) {
  const h = await cpHarness(t, { routers: productParts().routers, keepAlive: true })
  const cluster = async (name: string) => {
    const res = await h.req('POST', '/api/clusters', { key: h.root, body: { name, region: `${name}-1` } })
    return { id: res.body.id as number, key: res.body.api_key as string }
  }
  const east = await cluster('east')
  const west = await cluster('west')
  const node = await h.req('POST', '/api/clusters/nodes', { key: east.key, body: { cluster_id: east.id, hostname: 'e-01', total_gpus: 2 } })
  t.equal(node.status, 201)
  const gpus = await h.req('POST', '/api/clusters/gpus', { key: east.key, body: { node_id: node.body.id, gpus: [0, 1].map(i => ({ gpu_index: i, uuid: U(i), model: 'NVIDIA H100 80GB HBM3' })) } })
  t.equal(gpus.status, 201)
  const post = (key: string, body: unknown) => h.req('POST', AGENT_PROCESSES_PATH, { key, body })
  return { h, east, west, nodeId: node.body.id as number, post, at: new Date(T0).toISOString() }
}

t.test('a bound key reports its node\'s processes; GET /api/jobs/:id lists the job\'s', async t => {
  const { h, east, post, at } = await fleet(t)
  const job = await h.req('POST', '/api/jobs', { key: h.root, body: { cluster_id: east.id, name: 'train', gpu_count: 1 } })
  t.equal(job.status, 201)
  await h.store.fleet.recordActivity({ seen: [], readings: (await h.store.fleet.listGpus()).map(g => ({ gpuId: g.id, at: T0, status: 'idle' as const, utilizationPct: 0, memoryUsedMb: 0, memoryTotalMb: 81920, temperatureC: 40, powerDrawW: 90 })) })
  await h.store.jobs.runCycle(T0, 'test', { freshSince: T0 - 60_000 }, planCycle)
  const held = (await h.store.jobs.gpusOf(job.body.id))[0]!
  const other = held.gpuIndex === 0 ? 1 : 0
  const res = await post(east.key, { hostname: 'e-01', at, processes: [proc(held.gpuIndex, 100), proc(other, 200, { process_name: 'miner, v2' })] })
  t.equal(res.status, 200, res.text)
  t.same(res.body, { ok: true, node_id: held.nodeId, processes: 2, unallocated: 1, outside_allocation: 0 })
  const detail = await h.req('GET', `/api/jobs/${job.body.id}`, { key: h.root })
  t.equal(detail.status, 200)
  t.same(detail.body.processes, [{
    hostname: 'e-01', gpu_index: held.gpuIndex, gpu_uuid: U(held.gpuIndex), pid: 100, process_name: 'python3', used_memory_mib: 1024,
    seen_at: new Date(T0).toISOString(), outside_allocation: false,
  }])
  const leakage = await h.req('GET', '/api/dashboard/leakage', { key: h.root })
  t.equal(leakage.status, 200)
  t.match(leakage.body.unallocated_gpu_use, [{
    kind: 'unallocated', hostname: 'e-01', gpu_index: other, gpu_uuid: U(other), pid: 200, process_name: 'miner, v2', used_memory_mib: 1024,
    job_id: null, tenant_id: null, since: new Date(T0).toISOString(),
  }])
  t.equal(leakage.body.unallocated_gpu_use.length, 1, 'the job\'s own process is no finding')
  const metrics = await h.req('GET', '/metrics')
  t.match(metrics.text, /gpufleet_unallocated_gpu_processes 1\n/)
  t.match(metrics.text, /gpufleet_outside_allocation_gpu_processes 0\n/)
  h.advance(2 * 60_000 + 1)
  t.match((await h.req('GET', '/metrics')).text, /gpufleet_unallocated_gpu_processes 0\n/, 'a stale report does not count')
  t.same((await h.req('GET', `/api/jobs/${job.body.id}`, { key: h.root })).body.processes, [])
  t.same((await h.req('GET', '/api/dashboard/leakage', { key: h.root })).body.unallocated_gpu_use, [])
})

t.test('another cluster\'s node, an unknown hostname, a wrong scope: refused, nothing written', async t => {
  const { h, west, east, post, at } = await fleet(t)
  const body = { hostname: 'e-01', at, processes: [proc(0, 1)] }
  const other = await post(west.key, body)
  isError(t, other, 403, 'NODE_OWNED_BY_OTHER_CLUSTER')
  t.match(other.body.details, { key_cluster_id: west.id, hostname: 'e-01' })
  isError(t, await post(east.key, { ...body, hostname: 'nope' }), 404, 'NODE_NOT_FOUND')
  const read = await h.mint(['read'])
  isError(t, await post(read.key, body), 403, 'FORBIDDEN')
  isError(t, await h.req('POST', AGENT_PROCESSES_PATH, { body }), 401, 'UNAUTHORIZED')
  const unbound = await h.mint(['ingest'])
  t.equal((await post(unbound.key, body)).status, 200, 'an unbound ingest key may report for any node')
  t.equal((await h.store.processes.list()).length, 1)
})

t.test('bad bodies: 400 with the field named, nothing written', async t => {
  const { h, east, post, at } = await fleet(t)
  const ok = { hostname: 'e-01', at, processes: [proc(0, 1)] }
  const bad: Array<[string, unknown]> = [
    ['not an object', [1, 2]],
    ['no hostname', { at, processes: [] }],
    ['empty hostname', { ...ok, hostname: '' }],
    ['NUL in hostname', { ...ok, hostname: 'e-01\u0000' }],
    ['bad time', { ...ok, at: 'yesterday' }],
    ['processes not an array', { ...ok, processes: {} }],
    ['unknown field', { ...ok, extra: 1 }],
    ['unknown process field', { ...ok, processes: [{ ...proc(0, 1), cmdline: 'x' }] }],
    ['not a GPU UUID', { ...ok, processes: [proc(0, 1, { gpu_uuid: '0' })] }],
    ['pid 0', { ...ok, processes: [proc(0, 0)] }],
    ['pid a string', { ...ok, processes: [proc(0, '12' as never)] }],
    ['negative memory', { ...ok, processes: [proc(0, 1, { used_memory_mib: -1 })] }],
    ['job_id 0', { ...ok, processes: [proc(0, 1, { job_id: 0 })] }],
    ['NUL in a name', { ...ok, processes: [proc(0, 1, { process_name: 'a\u0000b' })] }],
    ['a pair twice', { ...ok, processes: [proc(0, 1), proc(0, 1)] }],
    ['too many', { ...ok, processes: Array.from({ length: MAX_REPORTED_PROCESSES + 1 }, (_, i) => proc(0, i + 1)) }],
  ]
  for (const [why, body] of bad) {
    const res = await post(east.key, body)
    isError(t, res, 400, 'VALIDATION_FAILED', why)
  }
  const raw = await h.req('POST', AGENT_PROCESSES_PATH, { key: east.key, body: '{"hostname":' })
  t.equal(raw.status, 400, 'malformed JSON')
  t.same(await h.store.processes.list(), [], 'nothing written')
  t.equal((await post(east.key, { ...ok, processes: Array.from({ length: MAX_REPORTED_PROCESSES }, (_, i) => proc(i % 2, i + 1)) })).status, 200, 'the limit itself is fine')
})
