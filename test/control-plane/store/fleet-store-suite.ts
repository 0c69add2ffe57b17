import type { Test } from 'tap'
import type { Store } from '../../../control-plane/store/store.ts'
import { freshStore } from './fresh-store.ts'

/**
 * The fleet repository contract, run against every engine: SQLite now, PostgreSQL when it
 * joins (its test file calls this with its own factory). Each subtest gets a fresh store.
 */
export function fleetStoreSuite (t: Test, openStore: () => Promise<Store>): void {
  const T0 = Date.UTC(2026, 4, 9, 0, 0, 0)

  const fresh = freshStore(openStore)

  t.test('clusters: unique names, find-or-create, counts, metacharacters verbatim', async t => {
    const { fleet } = await fresh(t)
    const a = await fleet.createCluster({ name: 'us-east-prod', region: 'us-east-1' }, T0)
    t.match(a, { id: Number, name: 'us-east-prod', region: 'us-east-1', status: 'active', createdAt: T0 })
    t.equal(await fleet.createCluster({ name: 'us-east-prod', region: null }, T0), null, 'duplicate name → null')

    const evil = "x'); DROP TABLE clusters; --"
    const b = await fleet.createCluster({ name: evil, region: null }, T0 + 1)
    t.equal(b?.name, evil)
    t.equal((await fleet.getCluster(b!.id))?.name, evil)

    const found = await fleet.ensureCluster('us-east-prod', 'eu-west-1', T0 + 2)
    t.equal(found.id, a!.id, 'found by name')
    t.equal(found.region, 'us-east-1', 'an existing region is kept')
    const filled = await fleet.ensureCluster(evil, 'eu-west-1', T0 + 2)
    t.equal(filled.region, 'eu-west-1', 'a missing region is filled in')
    const made = await fleet.ensureCluster('new', null, T0 + 3)
    t.match(made, { name: 'new', region: null, createdAt: T0 + 3 })

    const { node } = await fleet.upsertNode({ clusterId: a!.id, hostname: 'gpu-01' }, T0)
    await fleet.registerGpus(node.id, [{ gpuIndex: 0 }, { gpuIndex: 1 }], T0)
    const list = await fleet.listClusters()
    t.same(list.map(c => [c.name, c.nodeCount, c.gpuCount]), [['us-east-prod', 1, 2], [evil, 0, 0], ['new', 0, 0]])

    t.equal(await fleet.deleteEmptyCluster(a!.id), false, 'a cluster with nodes stays')
    t.equal(await fleet.deleteEmptyCluster(made.id), true)
    t.equal(await fleet.getCluster(made.id), null)
    t.equal(await fleet.getCluster(999999), null)
  })

  t.test('nodes: idempotent by hostname, partial updates keep fields, move clusters, registered event', async t => {
    const { fleet } = await fresh(t)
    const c1 = (await fleet.createCluster({ name: 'c1', region: 'r1' }, T0))!
    const c2 = (await fleet.createCluster({ name: 'c2', region: 'r2' }, T0))!
    const first = await fleet.upsertNode({ clusterId: c1.id, hostname: 'gpu-01', ipAddress: '10.0.1.10', totalGpus: 8, cpuCores: 128, ramGb: 1024 }, T0)
    t.equal(first.created, true)
    t.match(first.node, { clusterId: c1.id, hostname: 'gpu-01', ipAddress: '10.0.1.10', totalGpus: 8, cpuCores: 128, ramGb: 1024, agentUrl: null, status: 'online', lastSeenAt: T0, registeredAt: T0 })

    const again = await fleet.upsertNode({ clusterId: c2.id, hostname: 'gpu-01', agentUrl: 'http://10.0.1.10:9410' }, T0 + 1000)
    t.equal(again.created, false)
    t.equal(again.cameOnline, false)
    t.equal(again.node.id, first.node.id, 'same node')
    t.match(again.node, { clusterId: c2.id, ipAddress: '10.0.1.10', totalGpus: 8, agentUrl: 'http://10.0.1.10:9410', lastSeenAt: T0 + 1000, registeredAt: T0 })

    const older = await fleet.upsertNode({ clusterId: c2.id, hostname: 'gpu-01' }, T0 + 500)
    t.equal(older.node.lastSeenAt, T0 + 1000, 'last_seen_at never goes backwards')

    t.equal((await fleet.getNodeByHostname('gpu-01'))?.id, first.node.id)
    t.equal(await fleet.getNodeByHostname('nope'), null)
    t.equal(await fleet.getNode(424242), null)
    t.same((await fleet.listNodes({ clusterId: c1.id })).length, 0)
    t.same((await fleet.listNodes({ clusterId: c2.id })).map(n => n.hostname), ['gpu-01'])

    const events = await fleet.listNodeEvents()
    t.same(events.map(e => [e.kind, e.hostname, e.at]), [['registered', 'gpu-01', T0]], 'a heartbeat of an online node writes no event')
    t.same(events[0]?.detail, { cluster_id: c1.id })
  })

  t.test('gpus: idempotent per index, then uuid; only new records returned; lowest free index', async t => {
    const { fleet } = await fresh(t)
    const c = (await fleet.createCluster({ name: 'c', region: null }, T0))!
    const { node } = await fleet.upsertNode({ clusterId: c.id, hostname: 'h' }, T0)

    const created = await fleet.registerGpus(node.id, [
      { gpuIndex: 0, model: 'NVIDIA H100 80GB', vramMb: 81920 },
      { gpuIndex: 1, model: 'NVIDIA H100 80GB', vramMb: 81920, uuid: 'GPU-b' },
    ], T0)
    t.same(created.map(g => [g.gpuIndex, g.model, g.vramMb, g.uuid, g.status]), [[0, 'NVIDIA H100 80GB', 81920, null, 'unknown'], [1, 'NVIDIA H100 80GB', 81920, 'GPU-b', 'unknown']])

    const second = await fleet.registerGpus(node.id, [{ gpuIndex: 0, uuid: 'GPU-a' }, { gpuIndex: 2, model: 'X' }], T0 + 1)
    t.same(second.map(g => g.gpuIndex), [2], 'only index 2 is new')
    const all = await fleet.listGpus({ nodeId: node.id })
    t.same(all.map(g => [g.gpuIndex, g.uuid, g.model]), [[0, 'GPU-a', 'NVIDIA H100 80GB'], [1, 'GPU-b', 'NVIDIA H100 80GB'], [2, null, 'X']], 'index 0 took its uuid, kept its model')

    t.same(await fleet.registerGpus(node.id, [{ uuid: 'GPU-b', model: 'renamed' }], T0 + 2), [], 'matched by uuid')
    t.equal((await fleet.listGpus({ nodeId: node.id }))[1]?.model, 'renamed')

    const dup = await fleet.registerGpus(node.id, [{ gpuIndex: 5, model: 'first' }, { gpuIndex: 5, vramMb: 1 }], T0 + 3)
    t.equal(dup.length, 1, 'a repeated index in one call makes one record')
    t.match(dup[0], { gpuIndex: 5, model: 'first', vramMb: 1 }, 'later entries update it')

    const noIndex = await fleet.registerGpus(node.id, [{ model: 'a' }, { uuid: 'GPU-z' }], T0 + 4)
    t.same(noIndex.map(g => g.gpuIndex), [3, 4], 'lowest free indexes')

    const moved = await fleet.registerGpus(node.id, [{ gpuIndex: 7, uuid: 'GPU-z' }], T0 + 5)
    t.same(moved, [], 'a known uuid at a new (free) index moves, not duplicates')
    t.same((await fleet.listGpus({ nodeId: node.id })).map(g => g.gpuIndex), [0, 1, 2, 3, 5, 7])

    await fleet.registerGpus(node.id, [{ gpuIndex: 0, uuid: 'GPU-b' }], T0 + 6)
    const byIndex = new Map((await fleet.listGpus({ nodeId: node.id })).map(g => [g.gpuIndex, g.uuid]))
    t.equal(byIndex.get(0), 'GPU-b', 'the newest report of a uuid wins')
    t.equal(byIndex.get(1), null, 'and no other GPU keeps it')
  })

  t.test('gpus: the agent\'s health report is stored when given, kept when not', async t => {
    const { fleet } = await fresh(t)
    const c = (await fleet.createCluster({ name: 'c', region: null }, T0))!
    const { node } = await fleet.upsertNode({ clusterId: c.id, hostname: 'h' }, T0)
    const health = { xidCount: 3, xidLast: 79, xidLastAt: T0 - 5000, remappedRowsCorrectable: 2, remappedRowsUncorrectable: 1, remappedRowsPending: true, remappedRowsFailure: false }
    const [created] = await fleet.registerGpus(node.id, [{ gpuIndex: 0, health }], T0)
    t.same(created?.health, health)
    t.equal(created?.healthAt, T0)
    await fleet.registerGpus(node.id, [{ gpuIndex: 0, model: 'H100' }], T0 + 1)
    const [kept] = await fleet.listGpus({ nodeId: node.id })
    t.same([kept?.health, kept?.healthAt, kept?.model], [health, T0, 'H100'], 'a registration without health leaves it')
    const cleared = { ...health, xidCount: null, xidLast: null, xidLastAt: null, remappedRowsPending: null }
    await fleet.registerGpus(node.id, [{ gpuIndex: 0, health: cleared }], T0 + 2)
    const [now] = await fleet.listGpus({ nodeId: node.id })
    t.same([now?.health, now?.healthAt], [cleared, T0 + 2], 'nulls are stored as reported')
  })

  t.test('listGpus filters: ids, node, cluster; ordering', async t => {
    const { fleet } = await fresh(t)
    const c1 = (await fleet.createCluster({ name: 'c1', region: null }, T0))!
    const c2 = (await fleet.createCluster({ name: 'c2', region: null }, T0))!
    const n1 = (await fleet.upsertNode({ clusterId: c1.id, hostname: 'a' }, T0)).node
    const n2 = (await fleet.upsertNode({ clusterId: c2.id, hostname: 'b' }, T0)).node
    const g1 = await fleet.registerGpus(n1.id, [{ gpuIndex: 1 }, { gpuIndex: 0 }], T0)
    const g2 = await fleet.registerGpus(n2.id, [{ gpuIndex: 0 }], T0)
    t.same((await fleet.listGpus()).map(g => [g.nodeId, g.gpuIndex]), [[n1.id, 0], [n1.id, 1], [n2.id, 0]])
    t.same((await fleet.listGpus({ clusterId: c2.id })).map(g => g.id), g2.map(g => g.id))
    t.same((await fleet.listGpus({ ids: [g2[0]!.id, 99999, g1[0]!.id] })).map(g => g.id).sort(), [g1[0]!.id, g2[0]!.id].sort())
    t.same(await fleet.listGpus({ ids: [] }), [])
  })

  t.test("status 'unknown' (no utilization) and MIG state: stored, read back, kept when a reading omits them, never regressed by a replay", async t => {
    const { fleet } = await fresh(t)
    const c = (await fleet.createCluster({ name: 'c', region: null }, T0))!
    const { node } = await fleet.upsertNode({ clusterId: c.id, hostname: 'h' }, T0)
    const [gpu] = await fleet.registerGpus(node.id, [{ gpuIndex: 0 }], T0)
    t.equal(gpu!.status, 'unknown', 'a GPU without any reading yet is unknown, not idle')
    const instances = [
      { gpuInstanceId: 2, computeInstanceId: 0, profile: '3g.40gb', uuid: 'MIG-00000000-0000-0000-0000-000000000000', memoryTotalMb: 40448, memoryUsedMb: 11091 },
      { gpuInstanceId: 9, computeInstanceId: null, profile: '1g.10gb', uuid: null, memoryTotalMb: 9984, memoryUsedMb: null },
    ]
    const reading = { utilizationPct: null, memoryUsedMb: 11125, memoryTotalMb: 81559, temperatureC: 52, powerDrawW: 432 }
    await fleet.recordActivity({ seen: [], readings: [{ ...reading, gpuId: gpu!.id, status: 'unknown', at: T0 + 1000, migMode: 'Enabled', migInstances: instances }] })
    t.match((await fleet.listGpus({ nodeId: node.id }))[0], { status: 'unknown', utilizationPct: null, powerDrawW: 432, migMode: 'Enabled', migInstances: instances })

    await fleet.recordActivity({ seen: [], readings: [{ ...reading, gpuId: gpu!.id, status: 'unknown', at: T0 + 2000 }] })
    t.match((await fleet.listGpus({ nodeId: node.id }))[0], { updatedAt: T0 + 2000, migMode: 'Enabled', migInstances: instances }, 'omitted: kept')

    await fleet.recordActivity({ seen: [], readings: [{ ...reading, utilizationPct: 0, gpuId: gpu!.id, status: 'idle', at: T0 + 500, migMode: 'Disabled', migInstances: null }] })
    t.match((await fleet.listGpus({ nodeId: node.id }))[0], { status: 'unknown', migMode: 'Enabled', migInstances: instances }, 'an older replay changes nothing')

    await fleet.recordActivity({ seen: [], readings: [{ ...reading, utilizationPct: 0, gpuId: gpu!.id, status: 'idle', at: T0 + 3000, migMode: 'Disabled', migInstances: null }] })
    t.match((await fleet.listGpus({ nodeId: node.id }))[0], { status: 'idle', migMode: 'Disabled', migInstances: null }, 'MIG turned off')
  })

  t.test('activity: readings applied, older readings ignored, offline → online with one event', async t => {
    const { fleet } = await fresh(t)
    const c = (await fleet.createCluster({ name: 'c', region: null }, T0))!
    const { node } = await fleet.upsertNode({ clusterId: c.id, hostname: 'h' }, T0)
    const [gpu] = await fleet.registerGpus(node.id, [{ gpuIndex: 0 }], T0)
    const reading = { utilizationPct: 87.3, memoryUsedMb: 71680, memoryTotalMb: 81920, temperatureC: 72.1, powerDrawW: 410.5 }

    t.same(await fleet.recordActivity({ seen: [{ nodeId: node.id, at: T0 + 1000, via: 'sample' }], readings: [{ ...reading, gpuId: gpu!.id, status: 'active', at: T0 + 1000 }] }), { cameOnline: [], missing: [] })
    t.match((await fleet.listGpus({ nodeId: node.id }))[0], { ...reading, status: 'active', updatedAt: T0 + 1000 })

    await fleet.recordActivity({ seen: [], readings: [{ ...reading, utilizationPct: 1, gpuId: gpu!.id, status: 'idle', at: T0 + 500 }] })
    t.equal((await fleet.listGpus({ nodeId: node.id }))[0]?.utilizationPct, 87.3, 'a replayed older sample does not overwrite')

    const gone = await fleet.markStaleNodesOffline(T0 + 1001, T0 + 100_000)
    t.same(gone.map(n => [n.id, n.status]), [[node.id, 'offline']])
    t.same(await fleet.markStaleNodesOffline(T0 + 1001, T0 + 115_000), [], 'already offline: no second event')
    t.equal((await fleet.getNode(node.id))?.status, 'offline')

    const back = await fleet.recordActivity({ seen: [{ nodeId: node.id, at: T0 + 120_000, via: 'sample' }, { nodeId: 424242, at: T0, via: 'sample' }], readings: [] })
    t.same(back, { cameOnline: [node.id], missing: [424242] }, 'unknown node ids change nothing and are reported missing')
    t.match(await fleet.getNode(node.id), { status: 'online', lastSeenAt: T0 + 120_000 })
    const again = await fleet.recordActivity({ seen: [{ nodeId: node.id, at: T0 + 121_000, via: 'sample' }], readings: [] })
    t.same(again, { cameOnline: [], missing: [] })

    const events = await fleet.listNodeEvents({ nodeId: node.id })
    t.same(events.map(e => [e.kind, e.at]), [['registered', T0], ['offline', T0 + 100_000], ['online', T0 + 120_000]])
    t.same(events[1]?.detail, { silent_for_ms: 99_000 })
    t.same(events[2]?.detail, { via: 'sample', offline_for_ms: 119_000 })
  })

  t.test('a heartbeat brings an offline node back (online event); stale cutoff is strict', async t => {
    const { fleet } = await fresh(t)
    const c = (await fleet.createCluster({ name: 'c', region: null }, T0))!
    await fleet.upsertNode({ clusterId: c.id, hostname: 'a' }, T0)
    await fleet.upsertNode({ clusterId: c.id, hostname: 'b' }, T0 + 10)
    t.same((await fleet.markStaleNodesOffline(T0, T0 + 90_000)).length, 0, 'seen exactly at the cutoff: still online')
    t.same((await fleet.markStaleNodesOffline(T0 + 5, T0 + 90_005)).map(n => n.hostname), ['a'])
    const hb = await fleet.upsertNode({ clusterId: c.id, hostname: 'a' }, T0 + 95_000)
    t.equal(hb.cameOnline, true)
    const kinds = (await fleet.listNodeEvents()).map(e => `${e.hostname}:${e.kind}`)
    t.same(kinds, ['a:registered', 'b:registered', 'a:offline', 'a:online'])
    t.same((await fleet.listNodeEvents()).at(-1)?.detail, { via: 'heartbeat', offline_for_ms: 95_000 })
  })

  t.test('listNodeEvents: since inclusive, until exclusive, limit, oldest first', async t => {
    const { fleet } = await fresh(t)
    const c = (await fleet.createCluster({ name: 'c', region: null }, T0))!
    for (let i = 0; i < 5; i++) await fleet.upsertNode({ clusterId: c.id, hostname: `n${i}` }, T0 + i * 1000)
    const at = async (q: Parameters<typeof fleet.listNodeEvents>[0]) => (await fleet.listNodeEvents(q)).map(e => e.at - T0)
    t.same(await at({}), [0, 1000, 2000, 3000, 4000])
    t.same(await at({ since: T0 + 1000, until: T0 + 3000 }), [1000, 2000])
    t.same(await at({ limit: 2 }), [0, 1000])
    t.same(await at({ since: T0 + 10_000 }), [])
  })
}

/**
 * Node events and status written by one store are there for the next one on the same database
 * (a restart), and the migrations do not run again. `reopen` opens that one database each time.
 */
export async function fleetSurvivesRestart (t: Test, reopen: () => Promise<Store>): Promise<void> {
  const T0 = Date.UTC(2026, 4, 9)
  const first = await reopen()
  const c = (await first.fleet.createCluster({ name: 'c', region: 'r' }, T0))!
  const { node } = await first.fleet.upsertNode({ clusterId: c.id, hostname: 'h' }, T0)
  await first.fleet.markStaleNodesOffline(T0 + 1, T0 + 90_001)
  await first.close()

  const second = await reopen()
  t.teardown(() => second.close())
  t.same((await second.fleet.listNodeEvents()).map(e => [e.nodeId, e.kind, e.at]), [[node.id, 'registered', T0], [node.id, 'offline', T0 + 90_001]])
  t.equal((await second.fleet.getNode(node.id))?.status, 'offline')
  t.equal((await second.fleet.createCluster({ name: 'c', region: null }, T0)), null, 'migrations ran once; data kept')
}
