import t, { type Test } from 'tap'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import { openSqliteDb } from '../../../control-plane/store/sqlite/sqlite-db.ts'
import { sqliteSqlDb } from '../../../control-plane/store/sqlite/sqlite-sql-db.ts'
import { migrateSqliteStore } from '../../../control-plane/store/sqlite/migrate-sqlite-store.ts'
import { createWriteGate } from '../../../control-plane/store/sqlite/sqlite-write-gate.ts'
import { openTelemetryWriter } from '../../../control-plane/store/sqlite/open-telemetry-writer.ts'
import { createSqliteTelemetryRepository } from '../../../control-plane/store/sqlite/sqlite-telemetry-repository.ts'
import { packSamples, packedSampleBatch } from '../../../control-plane/store/packed-samples.ts'
import type { GpuSample, SampleBatch } from '../../../control-plane/store/telemetry-repository.ts'
import { sample } from './telemetry-repository-suite.ts'
import { telemetryApp, seedRow, T0 } from '../telemetry/telemetry-app.ts'

// A file store's telemetry writes run on the telemetry writer thread (open-telemetry-writer.ts).
const MIN = 60_000
const TABLES = ['gpu_stats', 'gpu_stats_latest', 'gpu_identity', 'gpu_rollup', 'gpu_power_second', 'gpu_block', 'gpu_power_block']

function dump (path: string): Record<string, unknown[]> {
  const db = new DatabaseSync(path, { readOnly: true })
  try {
    return Object.fromEntries(TABLES.map(table => [table, db.prepare(`SELECT * FROM ${table} ORDER BY 1, 2, 3`).all()]))
  } finally {
    db.close()
  }
}

const tick = (at: number, watts: (g: number) => number, gpus = 8, over: Partial<GpuSample> = {}) =>
  Array.from({ length: gpus }, (_, g) => sample(g, at, watts(g), over))

/** One workload, built fresh per call (the in-process path tags the sample objects it stores). */
function workload (): Array<Array<{ batch: SampleBatch, packed: boolean }>> {
  const b = (nodeId: number, clusterId: number | null, samples: GpuSample[], packed = true) => {
    const head = { nodeId, clusterId, hostname: `node-${nodeId}` }
    return { batch: packed ? packedSampleBatch(head, packSamples(samples)) : { ...head, samples }, packed }
  }
  return [
    [b(1, 1, tick(T0, g => 100 + g)), b(2, 1, tick(T0 + 250, g => 200 + g)), b(3, null, tick(T0, () => 50), false)],
    // Two ticks in one second, a replay (duplicates), a late row, a duplicate within a batch.
    [b(1, 1, [...tick(T0 + 1000, () => 120), ...tick(T0 + 1500, () => 130)]), b(2, 1, tick(T0 + 250, g => 200 + g))],
    [b(2, 1, [...tick(T0 - 30_000, () => 90, 2), sample(0, T0 - 30_000, 90)]), b(1, 1, tick(T0 + 2000, () => null as unknown as number, 8, { name: 'renamed' }), false)],
    [b(1, 1, tick(T0 + 10 * MIN, () => 300)), b(2, 1, tick(T0 + 10 * MIN, () => 310))],
  ]
}

t.test('the writer thread stores and answers exactly what the in-process path does', async t => {
  const dir = t.testdir()
  const inline = await openSqliteStore(join(dir, 'inline', 'gpufleet.db'), { telemetryWriter: 'inline' })
  const thread = await openSqliteStore(join(dir, 'thread', 'gpufleet.db'))
  const a = workload()
  const b = workload()
  for (let i = 0; i < a.length; i++) {
    const ra = await inline.telemetry.insertSamples(a[i]!.map(x => x.batch))
    const rb = await thread.telemetry.insertSamples(b[i]!.map(x => x.batch))
    t.same(rb, ra, `commit ${i}: the same answers`)
  }
  t.same(await thread.telemetry.compact({ before: T0 + 5 * MIN, limit: 1000 }), await inline.telemetry.compact({ before: T0 + 5 * MIN, limit: 1000 }))
  // A late row into a compacted span: thawed and stored the same way.
  const late = () => [{ nodeId: 1, clusterId: 1, hostname: 'node-1', samples: tick(T0 + 3000, () => 140) }]
  t.same(await thread.telemetry.insertSamples(late()), await inline.telemetry.insertSamples(late()))
  await inline.telemetry.rebuildRollups(T0, T0 + MIN)
  await thread.telemetry.rebuildRollups(T0, T0 + MIN)
  const prune = { rawBefore: T0 + 1000, rollupBefore: T0 - MIN, limit: 5 }
  t.same(await thread.telemetry.prune(prune), await inline.telemetry.prune(prune))
  t.same(await thread.telemetry.latest(), await inline.telemetry.latest(), 'reads on the main connection see the writer\'s commits')
  await inline.close()
  await thread.close()
  const da = dump(join(dir, 'inline', 'gpufleet.db'))
  const db = dump(join(dir, 'thread', 'gpufleet.db'))
  for (const table of TABLES) t.same(db[table], da[table], table)
  t.ok(da.gpu_stats!.length > 0 && da.gpu_rollup!.length > 0)
})

t.test('a bad value rejects the whole group before anything is written', async t => {
  const store = await openSqliteStore(join(t.testdir(), 'gpufleet.db'))
  t.teardown(() => store.close())
  const bad = { ...sample(1, T0, 1), powerDrawW: { watts: 1 } as unknown as number }
  await t.rejects(store.telemetry.insertSamples([{ nodeId: 1, clusterId: 1, hostname: 'n', samples: [...tick(T0, () => 1), bad] }]), TypeError)
  t.equal(await store.telemetry.countSamples(), 0)
  t.equal((await store.telemetry.rebuildRollups(T0 + 1, T0).then(() => 'ok')), 'ok', 'an empty range is a no-op on the thread too')
  await t.rejects(store.telemetry.rebuildRollups(0, 1e300), RangeError, 'errors keep their kind across the thread')
})

/** A migrated file, its main connection and a writer sharing one write gate (as openSqliteStore wires them). */
async function migratedFile (t: Test) {
  const path = join(t.testdir(), 'gpufleet.db')
  const gate = createWriteGate()
  const db = openSqliteDb(path, { gate })
  migrateSqliteStore(db)
  t.teardown(() => db.close())
  return { path, db, gate }
}

t.test('a writer crash mid-commit stores nothing of it and a fresh thread takes over', async t => {
  const { path, db, gate } = await migratedFile(t)
  const writer = openTelemetryWriter(path, { gate })
  t.teardown(() => writer.close())
  const batch = (at: number) => [{ nodeId: 1, clusterId: 1, hostname: 'node-1', samples: tick(at, () => 100) }]
  t.equal((await writer.insertSamples(batch(T0)))[0]!.inserted, 8)
  writer.exitInNextCommit()
  await t.rejects(writer.insertSamples(batch(T0 + 1000)), /telemetry writer thread exited/)
  const count = () => (db.raw.prepare('SELECT COUNT(*) AS n FROM gpu_stats').get() as { n: number }).n
  t.equal(count(), 8, 'the crashed commit left nothing: its transaction rolled back with its connection')
  t.same(db.raw.prepare('SELECT recorded_at FROM gpu_stats_latest GROUP BY recorded_at').all().map(r => r.recorded_at), [T0])
  // The main connection can write at once: the crashed thread's lock and gate went with it.
  await sqliteSqlDb(db).tx(null, async q => { await q.run("INSERT INTO tenants (name, gpu_quota, created_at, updated_at) VALUES ('after', 1, 0, 0)") })
  const [r] = await writer.insertSamples(batch(T0 + 1000))
  t.equal(r!.inserted, 8, 'the retry stores it whole')
  t.equal(writer.starts(), 2)
  t.equal(count(), 16)
})

t.test('a writer crash answers the push 503; the agent\'s retry is stored', async t => {
  const { path, db, gate } = await migratedFile(t)
  const writer = openTelemetryWriter(path, { gate })
  t.teardown(() => writer.close())
  const { post, logs } = await telemetryApp(t, { wrapRepo: () => createSqliteTelemetryRepository(db, writer) })
  const at = new Date(T0 - 1000).toISOString()
  const body = { node: { hostname: 'n1' }, gpus: [0, 1, 2, 3].map(g => seedRow(g, { recorded_at: at })) }
  writer.exitInNextCommit()
  const res = await post(body)
  t.equal(res.status, 503)
  t.match(await res.json(), { statusCode: 503, code: 'STORE_UNAVAILABLE' })
  t.ok(logs.some(l => l.level === 'error' && /commit failed/.test(l.msg)))
  t.equal((db.raw.prepare('SELECT COUNT(*) AS n FROM gpu_stats').get() as { n: number }).n, 0)
  const retry = await post(body)
  t.equal(retry.status, 200)
  t.match(await retry.json(), { ok: true, accepted: 4, duplicates: 0 })
  t.equal((db.raw.prepare('SELECT COUNT(*) AS n FROM gpu_stats').get() as { n: number }).n, 4)
})

t.test('close answers every write asked before it, then refuses', async t => {
  const { path, db, gate } = await migratedFile(t)
  const writer = openTelemetryWriter(path, { gate })
  const writes = Array.from({ length: 20 }, (_, i) =>
    writer.insertSamples([{ nodeId: 1 + (i % 3), clusterId: 1, hostname: 'n', samples: tick(T0 + i * 1000, () => 100) }]))
  await writer.close()
  const results = await Promise.all(writes)
  t.same(results.map(r => r[0]!.inserted), Array(20).fill(8))
  t.equal((db.raw.prepare('SELECT COUNT(*) AS n FROM gpu_stats').get() as { n: number }).n, 160)
  await t.rejects(writer.insertSamples([{ nodeId: 1, clusterId: 1, hostname: 'n', samples: tick(T0, () => 1) }]), /closed/)
  await writer.close()
})

t.test('the writer waits out an async transaction on the main connection and is not rolled back with it', async t => {
  const { path, db, gate } = await migratedFile(t)
  const writer = openTelemetryWriter(path, { gate })
  t.teardown(() => writer.close())
  const sql = sqliteSqlDb(db)
  let entered!: () => void
  const inside = new Promise<void>(resolve => { entered = resolve })
  const failing = sql.tx(null, async q => {
    await q.run("INSERT INTO tenants (name, gpu_quota, created_at, updated_at) VALUES ('held', 1, 0, 0)")
    entered()
    await new Promise(resolve => setTimeout(resolve, 50))
    throw new Error('boom')
  })
  await inside
  const ingest = writer.insertSamples([{ nodeId: 1, clusterId: null, hostname: 'node-1', samples: [sample(0, T0, 300)] }])
  await t.rejects(failing, /boom/)
  t.equal((await ingest)[0]!.inserted, 1)
  t.equal((await sql.all('SELECT id FROM gpu_stats')).length, 1, 'the sample outlived the failed transaction')
  t.equal((await sql.all("SELECT id FROM tenants WHERE name = 'held'")).length, 0)
})

t.test('option checks', async t => {
  await t.rejects(openSqliteStore(':memory:', { telemetryWriter: 'elsewhere' as 'thread' }), /telemetryWriter must be/)
})

t.test('while the writer holds the gate, plain reads go on and writes await it', async t => {
  const { db, gate } = await migratedFile(t)
  const sql = sqliteSqlDb(db)
  new Int32Array(gate.buffer)[0] = 2
  t.same(await sql.all('SELECT 1 AS x'), [{ x: 1 }], 'a SELECT does not wait')
  let wrote = false
  const write = sql.run("INSERT INTO tenants (name, gpu_quota, created_at, updated_at) VALUES ('w', 1, 0, 0)").then(n => { wrote = true; return n })
  await new Promise(resolve => setTimeout(resolve, 20))
  t.equal(wrote, false, 'a write waits for the writer')
  gate.writerGone()
  t.equal(await write, 1)
})
