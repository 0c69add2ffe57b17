import t from 'tap'
import { openSqliteDb } from '../../../control-plane/store/sqlite/sqlite-db.ts'
import { migrateSqliteStore } from '../../../control-plane/store/sqlite/migrate-sqlite-store.ts'
import { createSqliteTelemetryRepository } from '../../../control-plane/store/sqlite/sqlite-telemetry-repository.ts'
import { sample } from './telemetry-repository-suite.ts'

const T0 = Date.UTC(2026, 3, 26, 4, 0, 0)
const MIN = 60_000
const push = (at: number, nodeId = 1) => [{ nodeId, clusterId: 1, hostname: `node-${nodeId}`, samples: [0, 1].map(g => sample(g, at, 300 + g)) }]

t.test('ingest asks nothing of the blocks while its rows are newer than the compacted time, one probe when not', async t => {
  const db = openSqliteDb(':memory:')
  t.teardown(() => db.close())
  migrateSqliteStore(db)
  const statements: string[] = []
  const stmt = db.stmt.bind(db)
  db.stmt = sql => { statements.push(sql); return stmt(sql) }
  const telemetry = createSqliteTelemetryRepository(db)
  const blockStatements = () => statements.filter(s => /gpu_(power_)?block/.test(s)).length

  for (let s = 0; s < 20 * 60; s += 10) await telemetry.insertSamples(push(T0 + s * 1000))
  await telemetry.compact({ before: T0 + 15 * MIN, limit: 1_000_000 })
  statements.length = 0
  await telemetry.insertSamples(push(T0 + 20 * MIN))
  t.equal(statements.length > 0, true)
  t.equal(blockStatements(), 0, 'a push after the watermark: no block statement')

  const [late] = await telemetry.insertSamples(push(T0 + 2 * MIN + 1))
  t.equal(late!.inserted, 2, 'a late push into compacted time is stored')
  t.ok(blockStatements() > 0, 'it probed (and thawed) the blocks')
  const [replay] = await telemetry.insertSamples(push(T0 + 3 * MIN))
  t.same([replay!.inserted, replay!.duplicates], [0, 2], 'a replay of a compacted row is a duplicate')
  t.equal(await telemetry.countSamples(), 2 * 120 + 2 + 2)
})
