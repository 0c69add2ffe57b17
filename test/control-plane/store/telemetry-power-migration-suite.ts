import type { Test } from 'tap'
import type { Store } from '../../../control-plane/store/store.ts'
import type { TelemetryRepository, TelemetryScope } from '../../../control-plane/store/telemetry-repository.ts'
import { sample } from './telemetry-repository-suite.ts'

const T0 = Date.UTC(2026, 3, 26, 4, 0, 0)
const MIN = 60_000
const HOUR = 3_600_000

/** A store on a database that stays, raw SQL on it while no store is open, and a reopen. */
export interface ReopenableStore {
  open: () => Promise<Store>
  sql: (text: string) => Promise<void>
  /** The telemetry migration that recomputes power (SQLite 3, PostgreSQL 2). */
  powerMigration: number
}

const scopes: TelemetryScope[] = [{ kind: 'fleet' }, { kind: 'cluster', clusterId: 1 }, { kind: 'node', nodeId: 1 }]

async function powerAt (repo: TelemetryRepository, scope: TelemetryScope, fromMs: number, bucketMinutes: number) {
  const [b] = await repo.powerBuckets({ scope, fromMs, toMs: fromMs + bucketMinutes * MIN, offsetMinutes: 0, bucketMinutes })
  return b?.powerDrawW
}

/**
 * A database as the per-second-sum code left it: raw, latest and identity rows as that code
 * wrote them (unchanged since), the two ticks of one second added up in the per-second sums
 * and every rollup's MAX (seed 000's …00.100Z/…00.600Z example: 5,000 W for 3,000). Opening
 * it with this version recomputes what raw rows cover.
 */
export function telemetryPowerMigrationSuite (t: Test, create: () => Promise<ReopenableStore>): void {
  async function oldDatabase (db: ReopenableStore, at: number, extra: string[]) {
    const store = await db.open()
    await store.telemetry.insertSamples([{ nodeId: 1, clusterId: 1, hostname: 'n1', samples: [sample(0, at + 100, 1000), sample(1, at + 100, 1000)] }])
    await store.telemetry.insertSamples([{ nodeId: 1, clusterId: 1, hostname: 'n1', samples: [sample(0, at + 600, 1500), sample(1, at + 600, 1500)] }])
    await store.close()
    await db.sql(`UPDATE gpu_rollup SET power_max_w = 5000 WHERE bucket_at >= ${Math.floor(at / HOUR) * HOUR}`)
    await db.sql(`UPDATE gpu_power_second SET power_sum_w = 5000 WHERE second_at = ${at}`)
    for (const s of extra) await db.sql(s)
    await db.sql(`DELETE FROM schema_migrations WHERE domain = 'telemetry' AND version = ${db.powerMigration}`)
  }

  t.test('a database written by the per-second-sum code is corrected on open', async t => {
    const db = await create()
    await oldDatabase(db, T0, [])
    const store = await db.open()
    t.teardown(() => store.close())
    for (const scope of scopes) {
      for (const minutes of [1, 5, 60]) t.equal(await powerAt(store.telemetry, scope, T0, minutes), 3000, `${scope.kind}, ${minutes} min`)
    }
    t.equal((await store.telemetry.minuteRollups({ kind: 'fleet' }, T0, T0 + MIN))[0]!.samples, 4, 'the other figures are rebuilt alike')
    // And later rows of that second build on the corrected per-second sums.
    await store.telemetry.insertSamples([{ nodeId: 2, clusterId: 1, hostname: 'n2', samples: [sample(0, T0 + 900, 700)] }])
    t.equal(await powerAt(store.telemetry, { kind: 'fleet' }, T0, 1), 3700)
  })

  t.test('after retention pruned raw rows: rollups without raw rows, and the partly pruned hour, stay as they were', async t => {
    const db = await create()
    const at = T0 + HOUR
    const store = await db.open()
    // The hour before: one raw tick left at :30 (its earlier minutes pruned), a minute rollup older than any raw row.
    await store.telemetry.insertSamples([{ nodeId: 1, clusterId: 1, hostname: 'n1', samples: [sample(0, T0 + 30 * MIN, 100)] }])
    await store.close()
    await oldDatabase(db, at, [
      `UPDATE gpu_rollup SET power_max_w = 200 WHERE bucket_at >= ${T0} AND bucket_at < ${at}`,
      `INSERT INTO gpu_rollup (scope_kind, scope_id, span_min, bucket_at, power_max_w, power_sum_w, power_n, util_sum, util_n, util_max,
        temp_sum, temp_n, samples) VALUES (0, 0, 1, ${T0 + 10 * MIN}, 7777, 7777, 1, 0, 0, NULL, 0, 0, 1)`,
    ])
    const reopened = await db.open()
    t.teardown(() => reopened.close())
    for (const scope of scopes) t.equal(await powerAt(reopened.telemetry, scope, at, 60), 3000, `${scope.kind}: the whole hour after is rebuilt`)
    t.equal(await powerAt(reopened.telemetry, { kind: 'fleet' }, T0 + 10 * MIN, 1), 7777, 'a minute with no raw rows keeps its rollup')
    t.equal(await powerAt(reopened.telemetry, { kind: 'fleet' }, T0 + 30 * MIN, 1), 200, 'the partly pruned hour is left alone')
  })
}
