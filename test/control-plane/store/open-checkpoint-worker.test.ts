import t from 'tap'
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { openCheckpointWorker } from '../../../control-plane/store/sqlite/open-checkpoint-worker.ts'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import type { GpuSample } from '../../../control-plane/store/telemetry-repository.ts'
import { noGpuReadings } from '../../helpers/no-gpu-readings.ts'

const eightGpus = (at: number): GpuSample[] => Array.from({ length: 8 }, (_, g) => ({
  ...noGpuReadings(),
  gpuId: g, recordedAt: at, name: 'GPU', uuid: null, pciBusId: null, powerDrawW: 100, tempC: 40, memoryUsedMb: 1,
  memoryTotalMb: 2, utilizationPct: 50, powerDrawAvgW: null, powerLimitW: null, memoryTempC: null, memoryReservedMb: null,
  memoryUtilizationPct: null, smClockMhz: null, memClockMhz: null, eccErrorsCorrected: null, eccErrorsUncorrected: null,
}))

t.test('checkpoints the WAL on its own thread while the writer keeps its connection open', async t => {
  const path = join(t.testdir(), 'x.db')
  const writer = new DatabaseSync(path)
  writer.exec('PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; CREATE TABLE x (v TEXT)')
  const insert = writer.prepare('INSERT INTO x (v) VALUES (?)')
  for (let i = 0; i < 200; i++) insert.run('y'.repeat(1000))
  const worker = openCheckpointWorker(path)
  const first = await worker.checkpoint()
  t.equal(first.busy, false)
  t.ok(first.walFrames > 0, 'the WAL held the writes')
  t.equal(first.checkpointedFrames, first.walFrames, 'all of it copied into the database file')
  insert.run('z')
  const second = await worker.checkpoint()
  t.ok(second.walFrames < first.walFrames, 'the next write restarted the WAL from the start')
  await worker.close()
  await t.rejects(worker.checkpoint(), /exited/, 'no checkpoints after close')
  t.equal((writer.prepare('SELECT COUNT(*) AS n FROM x').get() as { n: number }).n, 201)
  writer.close()
})

t.test('a database without a WAL: the checkpoint is a harmless no-op', async t => {
  const path = join(t.testdir(), 'not-wal.db')
  const db = new DatabaseSync(path)
  db.exec('CREATE TABLE x (v INTEGER)')
  db.close()
  // A rollback-journal database has no WAL: the checkpoint is a no-op that answers -1s.
  const worker = openCheckpointWorker(path)
  t.match(await worker.checkpoint(), { busy: false })
  await worker.close()
})

t.test('a worker that cannot open its database fails every checkpoint', async t => {
  const worker = openCheckpointWorker(join(t.testdir(), 'missing-dir', 'x.db'))
  await t.rejects(worker.checkpoint(), Error)
  await t.rejects(worker.checkpoint(), Error)
  await worker.close()
})

t.test('the store on a file: checkpoint thread by default, the WAL gone after close, nothing lost', async t => {
  const path = join(t.testdir(), 'gpufleet.db')
  const store = await openSqliteStore(path)
  const at = Date.UTC(2026, 0, 1)
  await store.telemetry.insertSamples([{ nodeId: 1, clusterId: null, hostname: 'h', samples: eightGpus(at) }])
  t.ok(existsSync(`${path}-wal`))
  await store.close()
  t.notOk(existsSync(`${path}-wal`), 'the last connection to close checkpointed and removed the WAL')
  const again = await openSqliteStore(path, { checkpoint: 'inline' })
  t.equal(await again.telemetry.countSamples(), 8)
  await again.close()
})

t.test('the checkpoint option is checked', async t => {
  await t.rejects(openSqliteStore(':memory:', { checkpoint: 'sometimes' as 'thread' }), /checkpoint must be 'thread', 'inline' or 'off'/)
})

t.test("checkpoint 'off' (benchmarks): the WAL only grows until close, past SQLite's 1,000-page autocheckpoint", async t => {
  const path = join(t.testdir(), 'gpufleet.db')
  const store = await openSqliteStore(path, { checkpoint: 'off' })
  const at = Date.UTC(2026, 0, 1)
  for (let s = 0; s < 400; s++) {
    await store.telemetry.insertSamples([{ nodeId: 1, clusterId: null, hostname: 'h', samples: eightGpus(at + s * 1000) }])
  }
  t.ok(statSync(`${path}-wal`).size > 1500 * 4096, 'every commit appended, none checkpointed')
  await store.close()
  t.notOk(existsSync(`${path}-wal`))
})
