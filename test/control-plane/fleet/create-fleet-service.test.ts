import t, { type Test } from 'tap'
import { createFleetService, MEMORY_MOVE_MIB } from '../../../control-plane/fleet/create-fleet-service.ts'
import type { ActivityInput } from '../../../control-plane/store/fleet-repository.ts'
import { HttpError } from '../../../shared/http-error.ts'
import { memoryLog } from '../router-harness.ts'
import { T0, fakeClock, openFleetStore } from './fleet-harness.ts'

function setup (t: Test) {
  const store = openFleetStore()
  t.teardown(() => store.close())
  // Count what reaches the store: the hot path's whole point is to skip writes.
  const writes: ActivityInput[] = []
  const record = store.fleet.recordActivity
  store.fleet.recordActivity = async input => { writes.push(input); return record(input) }
  const clock = fakeClock()
  const { lines, log } = memoryLog()
  const service = createFleetService({ store, now: clock.now, log })
  return { store, clock, lines, service, writes }
}

const reading = (gpu_id: number, extra: Record<string, unknown> = {}) => ({
  gpu_id, name: 'NVIDIA B200', uuid: `GPU-${gpu_id}`, utilization_pct: 84, memory_used_mb: 173456, memory_total_mb: 183359, temp_c: 47, power_draw_w: 612.4, ...extra,
})

t.test('resolveIngestNode: the seed reporter without `node` is node "default" in cluster "default"', async t => {
  const { store, service } = setup(t)
  const a = await service.resolveIngestNode()
  const b = await service.resolveIngestNode(undefined)
  t.same(a, b)
  t.same((await store.fleet.listNodes()).map(n => n.hostname), ['default'])
  t.same((await store.fleet.listClusters()).map(c => [c.id, c.name, c.region]), [[a.clusterId, 'default', null]])
})

t.test('resolveIngestNode: by hostname, creating node and cluster (with region) on first sight', async t => {
  const { store, service, lines } = setup(t)
  const first = await service.resolveIngestNode({ hostname: 'b200-1', cluster: 'edge', region: 'yto-01' })
  t.same(await service.resolveIngestNode({ hostname: 'b200-1', cluster: 'edge' }), first)
  const other = await service.resolveIngestNode({ hostname: 'b200-2' })
  t.not(other.nodeId, first.nodeId)
  t.same((await store.fleet.listClusters()).map(c => [c.name, c.region, c.nodeCount]), [['edge', 'yto-01', 1], ['default', null, 1]])
  t.ok(lines.some(l => l.msg === 'node registered by its first telemetry push'))
  t.same((await store.fleet.listNodeEvents()).map(e => [e.hostname, e.kind]), [['b200-1', 'registered'], ['b200-2', 'registered']])
})

t.test('resolveIngestNode: node_id when its record has the same hostname, else the hostname wins', async t => {
  const { store, clock, service } = setup(t)
  const c = await store.fleet.ensureCluster('prod', 'r', T0)
  const { node } = await store.fleet.upsertNode({ clusterId: c.id, hostname: 'gpu-01' }, T0)
  const fresh = createFleetService({ store, now: clock.now })
  t.same(await fresh.resolveIngestNode({ hostname: 'gpu-01', node_id: node.id }), { nodeId: node.id, clusterId: c.id })
  t.same(await service.resolveIngestNode({ hostname: 'gpu-01', cluster: 'elsewhere' }), { nodeId: node.id, clusterId: c.id }, 'known hostname: no cluster move on a push')
  const cloned = await service.resolveIngestNode({ hostname: 'gpu-02', node_id: node.id, cluster: 'prod' })
  t.not(cloned.nodeId, node.id, 'a copied agent state file does not hijack another node')
  t.equal(cloned.clusterId, c.id)
  const unknownId = await service.resolveIngestNode({ hostname: 'gpu-03', node_id: 4242 })
  t.equal((await store.fleet.getNode(unknownId.nodeId))?.hostname, 'gpu-03')
  t.same((await store.fleet.listClusters()).map(x => x.name), ['prod', 'default'])
})

t.test('recordActivity: creates GPUs for unknown indexes, stores readings and status, marks the node seen', async t => {
  const { store, clock, service } = setup(t)
  const { nodeId } = await service.resolveIngestNode({ hostname: 'h' })
  clock.set(T0 + 6000)
  await service.recordActivity(nodeId, [reading(0), reading(1, { utilization_pct: 3, uuid: '', name: '' })], T0 + 900)
  const gpus = await store.fleet.listGpus({ nodeId })
  t.same(gpus.map(g => [g.gpuIndex, g.uuid, g.model, g.status, g.utilizationPct, g.updatedAt]),
    [[0, 'GPU-0', 'NVIDIA B200', 'active', 84, T0 + 900], [1, null, null, 'idle', 3, T0 + 900]], 'readings carry the sample time; an empty uuid or name is no identity')
  t.match(gpus[0], { memoryUsedMb: 173456, memoryTotalMb: 183359, temperatureC: 47, powerDrawW: 612.4 })
  t.equal((await store.fleet.getNode(nodeId))?.lastSeenAt, T0 + 6000, 'seen at the server\'s time')

  await t.rejects(service.recordActivity(9999, [reading(0)], T0), HttpError)
})

t.test('recordActivity: hot path skips unchanged writes for 5 s but writes status and memory changes at once', async t => {
  const { store, clock, service, writes } = setup(t)
  const { nodeId } = await service.resolveIngestNode({ hostname: 'h' })
  const push = async (dt: number, extra: Record<string, unknown> = {}) => {
    clock.set(T0 + dt)
    const before = writes.length
    await service.recordActivity(nodeId, [reading(0, extra)], T0 + dt)
    return writes.length - before
  }
  // resolveIngestNode created the node at T0, which counts as its last seen write.
  t.equal(await push(1000), 1, 'first sample writes')
  t.equal(await push(2000), 0, 'same readings 1 s later: no write')
  t.equal(await push(3000, { utilization_pct: 90, temp_c: 48 }), 0, 'drift that keeps the status: may lag')
  t.equal(await push(3500, { memory_used_mb: 173456 + 1023 }), 0, 'memory drift under MEMORY_MOVE_MIB (a serving process growing): may lag')
  t.match((await store.fleet.listGpus({ nodeId }))[0], { memoryUsedMb: 173456 }, 'not written yet')
  t.equal(await push(4000, { memory_used_mb: 1000 }), 1, 'memory changed (routing needs it): written at once')
  t.equal(writes.at(-1)?.seen.length, 0, 'node seen-time not rewritten within 5 s')
  t.equal(await push(5000, { memory_used_mb: 1000, utilization_pct: 5 }), 1, 'active → idle: written at once')
  t.equal(writes.at(-1)?.seen.length, 1, '5 s since the node was last written seen: rewritten with it')
  t.equal(await push(6000, { memory_used_mb: 1000, utilization_pct: 5 }), 0)
  t.equal(await push(9000, { memory_used_mb: 1000, utilization_pct: 6 }), 0)
  t.equal(await push(10_000, { memory_used_mb: 1000, utilization_pct: 6 }), 1, 'unchanged status, but 5 s since the last write')
  t.match((await store.fleet.listGpus({ nodeId }))[0], { utilizationPct: 6, memoryUsedMb: 1000, status: 'idle', updatedAt: T0 + 10_000 })
  t.equal(await push(11_000, { memory_used_mb: 1000 + MEMORY_MOVE_MIB, utilization_pct: 6 }), 1, 'a move of MEMORY_MOVE_MIB: written at once')
  t.equal(await push(12_000, { memory_used_mb: 2024, memory_total_mb: 183358, utilization_pct: 6 }), 1, 'a changed total (MIG): written at once')
  t.equal(await push(13_000, { memory_used_mb: null, memory_total_mb: 183358, utilization_pct: 6 }), 1, 'known → N/A (null clears it): written at once')
})

t.test('recordActivity: replayed older samples never overwrite; an agent clock ahead is clamped', async t => {
  const { store, clock, service } = setup(t)
  const { nodeId } = await service.resolveIngestNode({ hostname: 'h' })
  clock.set(T0 + 10_000)
  await service.recordActivity(nodeId, [reading(0, { utilization_pct: 50 })], T0 + 60_000)
  t.equal((await store.fleet.listGpus({ nodeId }))[0]?.updatedAt, T0 + 10_000, 'a future sample time is clamped to now')
  clock.set(T0 + 20_000)
  await service.recordActivity(nodeId, [reading(0, { utilization_pct: 1 })], T0 + 5000)
  t.equal((await store.fleet.listGpus({ nodeId }))[0]?.utilizationPct, 50, 'spooled sample from before: ignored')
})

t.test('recordActivity: a sample after 90 s of silence brings the node back online (one event)', async t => {
  const { store, clock, service, lines } = setup(t)
  const { nodeId } = await service.resolveIngestNode({ hostname: 'h' })
  await service.recordActivity(nodeId, [reading(0)], T0)
  await store.fleet.markStaleNodesOffline(T0 + 1, T0 + 91_000)
  clock.set(T0 + 120_000)
  await service.recordActivity(nodeId, [reading(0)], T0 + 120_000)
  clock.set(T0 + 121_000)
  await service.recordActivity(nodeId, [reading(0)], T0 + 121_000)
  t.same((await store.fleet.listNodeEvents()).map(e => [e.kind, e.at - T0]), [['registered', 0], ['offline', 91_000], ['online', 120_000]])
  t.ok(lines.some(l => l.msg === 'node back online'))
})

t.test('recordActivity: a GPU reporting a new uuid at a known index updates it; registration via the service refreshes the cache', async t => {
  const { store, clock, service } = setup(t)
  const { nodeId } = await service.resolveIngestNode({ hostname: 'h' })
  await service.recordActivity(nodeId, [reading(0)], T0)
  clock.set(T0 + 1000)
  await service.recordActivity(nodeId, [reading(0, { uuid: 'GPU-swapped' })], T0 + 1000)
  t.same((await store.fleet.listGpus({ nodeId })).map(g => [g.gpuIndex, g.uuid]), [[0, 'GPU-swapped']])
  await service.registerGpus({ node_id: nodeId, gpus: [{ gpu_index: 1, model: 'X' }] })
  clock.set(T0 + 2000)
  await service.recordActivity(nodeId, [reading(1, { name: 'X', uuid: null })], T0 + 2000)
  t.equal((await store.fleet.listGpus({ nodeId })).length, 2, 'no duplicate for the GPU registered meanwhile')
})

t.test('a bound caller: ownership is re-read before refusing, so another replica\'s move is seen', async t => {
  const { store, clock, service } = setup(t)
  // A second service on the same store is another replica with its own caches.
  const other = createFleetService({ store, now: clock.now })
  const east = (await store.fleet.createCluster({ name: 'east', region: null }, T0))!
  const west = (await store.fleet.createCluster({ name: 'west', region: null }, T0))!
  const { node } = await service.registerNode({ cluster_id: west.id, hostname: 'n1' }, west.id)
  t.same(await service.resolveIngestNode({ hostname: 'n1' }, west.id), { nodeId: node.id, clusterId: west.id }, 'cached as west\'s')
  await other.registerNode({ cluster_id: east.id, hostname: 'n1' }) // an unbound caller moves it
  t.same(await service.resolveIngestNode({ hostname: 'n1' }, east.id), { nodeId: node.id, clusterId: east.id }, 'east\'s key is not refused on a stale cache')
  await t.rejects(service.resolveIngestNode({ hostname: 'n1' }, west.id), { code: 'NODE_OWNED_BY_OTHER_CLUSTER' }, 'and west\'s no longer passes')
  await t.rejects(service.registerGpus({ node_id: node.id, gpus: [{ gpu_index: 0 }] }, west.id), { code: 'NODE_OWNED_BY_OTHER_CLUSTER' })
  t.equal((await service.registerGpus({ node_id: node.id, gpus: [{ gpu_index: 0 }] }, east.id)).length, 1)
})

t.test('a node deleted by another replica: this replica forgets it at the next write and registers the host afresh', async t => {
  const { store, clock, service, lines } = setup(t)
  const other = createFleetService({ store, now: clock.now })
  const first = await service.resolveIngestNode({ hostname: 'n1', cluster: 'c' })
  await service.recordActivity(first.nodeId, [reading(0)], clock.now())
  // The other replica deletes it (this one's cache still maps n1 to it).
  t.match(await store.fleet.deleteNode(first.nodeId), { deleted: true })
  other.forget(first.nodeId)
  t.same(await service.resolveIngestNode({ hostname: 'n1', cluster: 'c' }), first, 'still cached here')
  await clock.advance(6000) // the node's seen time is due for a write
  await service.recordActivity(first.nodeId, [reading(0)], clock.now())
  t.ok(lines.some(l => l.msg === 'node deleted elsewhere: forgotten'))
  const again = await service.resolveIngestNode({ hostname: 'n1', cluster: 'c' })
  t.match(await store.fleet.getNode(again.nodeId), { hostname: 'n1' }, 'registered afresh (SQLite may reuse the id)')
  await service.recordActivity(again.nodeId, [reading(0), reading(1)], clock.now())
  t.equal((await store.fleet.listGpus({ nodeId: again.nodeId })).length, 2)

  // A new GPU index on a node deleted elsewhere: its registration is refused by the database; forgotten, not a failure.
  t.match(await store.fleet.deleteNode(again.nodeId), { deleted: true })
  await service.recordActivity(again.nodeId, [reading(7)], clock.now())
  t.equal(lines.filter(l => l.msg === 'node deleted elsewhere: forgotten').length, 2, 'forgotten, no error')
  const third = await service.resolveIngestNode({ hostname: 'n1', cluster: 'c' })
  t.match(await store.fleet.getNode(third.nodeId), { hostname: 'n1' })
})

t.test('recordActivity: pushes heard in one turn are written in one store call; each caller resolves after its rows landed', async t => {
  const { store, clock, service, writes, lines } = setup(t)
  const a = await service.resolveIngestNode({ hostname: 'a' })
  const b = await service.resolveIngestNode({ hostname: 'b' })
  const gone = await service.resolveIngestNode({ hostname: 'gone' })
  await service.recordActivity(gone.nodeId, [reading(0)], T0)
  t.match(await store.fleet.deleteNode(gone.nodeId), { deleted: true }) // by another replica: still cached here
  clock.set(T0 + 6000)
  const before = writes.length
  await Promise.all([
    service.recordActivity(a.nodeId, [reading(0), reading(1, { utilization_pct: 2 })], T0 + 6000),
    service.recordActivity(b.nodeId, [reading(0)], T0 + 6000),
    service.recordActivity(gone.nodeId, [reading(0)], T0 + 6000),
  ])
  // The first push of a node registers its GPUs first; the next turn's pushes go in one write.
  t.equal(writes.length - before, 1, 'one store write for the three pushes')
  t.same(writes.at(-1)?.seen.map(s => s.nodeId).sort(), [a.nodeId, b.nodeId, gone.nodeId].sort())
  t.same((await store.fleet.listGpus({ nodeId: a.nodeId })).map(g => [g.gpuIndex, g.status, g.updatedAt]), [[0, 'active', T0 + 6000], [1, 'idle', T0 + 6000]])
  t.match((await store.fleet.listGpus({ nodeId: b.nodeId }))[0], { status: 'active', updatedAt: T0 + 6000 })
  t.equal((await store.fleet.getNode(a.nodeId))?.lastSeenAt, T0 + 6000)
  t.ok(lines.some(l => l.msg === 'node deleted elsewhere: forgotten'), 'the deleted node is forgotten, the others\' rows land')

  // A status change and a lagging write (utilization only, 5 s after its last write) in one turn: both land.
  clock.set(T0 + 7000)
  await Promise.all([
    service.recordActivity(a.nodeId, [reading(1, { utilization_pct: 90 })], T0 + 7000),
    service.recordActivity(b.nodeId, [reading(0, { utilization_pct: 85 })], T0 + 7000),
  ])
  t.match((await store.fleet.listGpus({ nodeId: a.nodeId }))[1], { status: 'active', utilizationPct: 90 }, 'idle → active written at once')
  t.match((await store.fleet.listGpus({ nodeId: b.nodeId }))[0], { utilizationPct: 84 }, 'drift within 5 s: not yet written')
  clock.set(T0 + 11_000)
  await Promise.all([
    service.recordActivity(a.nodeId, [reading(1, { utilization_pct: 90 })], T0 + 11_000),
    service.recordActivity(b.nodeId, [reading(0, { utilization_pct: 86 })], T0 + 11_000),
  ])
  t.match((await store.fleet.listGpus({ nodeId: b.nodeId }))[0], { utilizationPct: 86, updatedAt: T0 + 11_000 }, 'the lagging reading lands once due')
})

t.test('recordActivity: a failed gathered write fails every push in it, and the next turn writes afresh', async t => {
  const { store, clock, service } = setup(t)
  const a = await service.resolveIngestNode({ hostname: 'a' })
  const b = await service.resolveIngestNode({ hostname: 'b' })
  await service.recordActivity(a.nodeId, [reading(0)], T0)
  await service.recordActivity(b.nodeId, [reading(0)], T0)
  const record = store.fleet.recordActivity
  store.fleet.recordActivity = async () => { throw new Error('disk full') }
  clock.set(T0 + 1000)
  const results = await Promise.allSettled([
    service.recordActivity(a.nodeId, [reading(0, { utilization_pct: 1 })], T0 + 1000),
    service.recordActivity(b.nodeId, [reading(0, { utilization_pct: 1 })], T0 + 1000),
  ])
  t.same(results.map(r => r.status), ['rejected', 'rejected'])
  store.fleet.recordActivity = record
  clock.set(T0 + 2000)
  await service.recordActivity(a.nodeId, [reading(0, { utilization_pct: 1 })], T0 + 2000)
  t.match((await store.fleet.listGpus({ nodeId: a.nodeId }))[0], { status: 'idle', updatedAt: T0 + 2000 }, 'not marked written by the failed write: written now')
})
