import { createHash } from 'node:crypto'
import type { Test } from 'tap'
import type { Store } from '../../../control-plane/store/store.ts'
import type { NewApiKey } from '../../../control-plane/store/api-key-repository.ts'
import type { Scope } from '../../../shared/wire/introspect.ts'

/**
 * Issue 12's cluster-bound agent keys in the store, for every engine: the binding round-trips,
 * existing keys migrate bound (api-key migration 2), and upsertNode with keepCluster never
 * moves another cluster's node.
 */
export interface BindingFixture {
  /** Opens (again) the one database this fixture owns. */
  open: () => Promise<Store>
  /** Raw SQL on that database while no store has it open. */
  exec: (sql: string) => Promise<void>
}

const T0 = Date.UTC(2026, 4, 9, 0, 30)
const hash = (s: string) => createHash('sha256').update(s).digest('hex')

// Back to the schema before cluster binding, as a database of the previous release has it.
export const BEFORE_BINDING_SQL = `
  DROP INDEX api_keys_cluster;
  ALTER TABLE api_keys DROP COLUMN cluster_id;
  DELETE FROM schema_migrations WHERE domain = 'api-key' AND version = 2;
`

function newKey (name: string, label: string, permissions: Scope[], over: Partial<NewApiKey> = {}): NewApiKey {
  return { keyHash: hash(name), keyPrefix: `gfk_${hash(name).slice(0, 8)}`, label, permissions, tenantId: null, createdByKeyId: null, createdAt: T0, ...over }
}

export function clusterBindingSuite (t: Test, fixture: () => Promise<BindingFixture>): void {
  t.test('a key\'s cluster binding round-trips; unbound is null', async t => {
    const f = await fixture()
    const store = await f.open()
    t.teardown(() => store.close())
    const c = (await store.fleet.createCluster({ name: 'east', region: null }, T0))!
    const bound = await store.apiKeys.create(newKey('b', 'east agents', ['ingest'], { clusterId: c.id }))
    const unbound = await store.apiKeys.create(newKey('u', 'anywhere', ['ingest']))
    t.equal(bound.clusterId, c.id)
    t.equal(unbound.clusterId, null)
    t.equal((await store.apiKeys.findActiveByHash(hash('b')))?.clusterId, c.id)
    t.same((await store.apiKeys.list()).map(k => [k.label, k.clusterId]), [['east agents', c.id], ['anywhere', null]])
  })

  t.test('existing keys migrate bound: POST /api/clusters keys to their cluster, orphans revoked, admin-made keys unbound', async t => {
    const f = await fixture()
    let store = await f.open()
    const east = (await store.fleet.createCluster({ name: 'east', region: 'us-east-1' }, T0))!
    const tricky = (await store.fleet.createCluster({ name: 'west agents', region: null }, T0))!
    const root = await store.apiKeys.create(newKey('root', 'bootstrap', ['superadmin']))
    const make = async (name: string, label: string, permissions: Scope[], over: Partial<NewApiKey> = {}) =>
      (await store.apiKeys.create(newKey(name, label, permissions, over))).id
    const ids = {
      east: await make('east', 'cluster east agents', ['ingest']),
      tricky: await make('tricky', 'cluster west agents agents', ['ingest']),
      orphan: await make('orphan', 'cluster gone agents', ['ingest']),
      revokedOrphan: await make('revoked-orphan', 'cluster old agents', ['ingest']),
      adminMade: await make('admin-made', 'cluster east agents', ['ingest'], { createdByKeyId: root.id }),
      local: await make('local', 'local agent (gpufleet up)', ['ingest']),
      mixed: await make('mixed', 'cluster east agents', ['read', 'ingest']),
      tenant: await make('tenant', 'cluster east agents', ['ingest'], { tenantId: 5 }),
    }
    await store.apiKeys.revoke(ids.revokedOrphan, T0 + 1)
    await store.close()
    await f.exec(BEFORE_BINDING_SQL)

    store = await f.open()
    t.teardown(() => store.close())
    const byId = new Map((await store.apiKeys.list()).map(k => [k.id, k]))
    t.match(byId.get(ids.east), { clusterId: east.id, revokedAt: null }, 'the key POST /api/clusters made for east is bound to east')
    t.match(byId.get(ids.tricky), { clusterId: tricky.id, revokedAt: null }, 'the whole label names the cluster')
    t.equal(byId.get(ids.orphan)?.clusterId, null)
    t.ok((byId.get(ids.orphan)?.revokedAt ?? 0) > T0, 'a cluster key whose cluster is gone is revoked (fail closed)')
    t.equal(byId.get(ids.revokedOrphan)?.revokedAt, T0 + 1, 'an already revoked key keeps its revoked_at')
    for (const name of ['adminMade', 'local', 'mixed', 'tenant'] as const) {
      t.match(byId.get(ids[name]), { clusterId: null, revokedAt: null }, `${name}: not made by POST /api/clusters, stays unbound and active`)
    }
    t.equal(byId.get(root.id)?.clusterId, null)
    t.equal((await store.apiKeys.findActiveByHash(hash('east')))?.clusterId, east.id, 'the auth path sees the binding')
    t.equal(await store.apiKeys.findActiveByHash(hash('orphan')), null)
  })

  t.test('upsertNode with keepCluster never moves another cluster\'s node; nothing is written', async t => {
    const f = await fixture()
    const store = await f.open()
    t.teardown(() => store.close())
    const a = (await store.fleet.createCluster({ name: 'a', region: null }, T0))!
    const b = (await store.fleet.createCluster({ name: 'b', region: null }, T0))!
    const { node } = await store.fleet.upsertNode({ clusterId: a.id, hostname: 'n1', agentUrl: 'http://10.0.0.1:9410' }, T0)
    await t.rejects(store.fleet.upsertNode({ clusterId: b.id, hostname: 'n1', agentUrl: 'http://6.6.6.6:9410', keepCluster: true }, T0 + 1000),
      { code: 'NODE_OWNED_BY_OTHER_CLUSTER', hostname: 'n1', ownerClusterId: a.id })
    t.same(await store.fleet.getNode(node.id), node, 'cluster, agent_url and last_seen_at unchanged')
    t.same((await store.fleet.listNodeEvents()).map(e => e.kind), ['registered'], 'no event either')
    const same = await store.fleet.upsertNode({ clusterId: a.id, hostname: 'n1', ramGb: 2048, keepCluster: true }, T0 + 2000)
    t.match(same, { created: false, node: { clusterId: a.id, ramGb: 2048, lastSeenAt: T0 + 2000 } }, 'its own cluster\'s node updates')
    const fresh = await store.fleet.upsertNode({ clusterId: b.id, hostname: 'n2', keepCluster: true }, T0 + 3000)
    t.match(fresh, { created: true, node: { clusterId: b.id } }, 'a new hostname is created in the given cluster')
    t.same((await store.fleet.upsertNode({ clusterId: b.id, hostname: 'n1' }, T0 + 4000)).node.clusterId, b.id, 'without keepCluster a node still moves (unbound callers)')
  })
}
