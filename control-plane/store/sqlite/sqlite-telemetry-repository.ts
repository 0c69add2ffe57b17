import type { TelemetryRepository } from '../telemetry-repository.ts'
import { createSqlTelemetryRepository, type TelemetryWrites } from '../sql/sql-telemetry-repository.ts'
import type { SqliteDb } from './sqlite-db.ts'
import { sqliteSqlDb } from './sqlite-sql-db.ts'
import { createSqliteTelemetryWrites } from './sqlite-telemetry-writes.ts'
import { SQLITE_GPU_HEAD_SQL } from './sqlite-gpu-head.ts'

/**
 * Telemetry on SQLite: the shared reads on `db`, with the writes of `writes` (a file
 * database's telemetry writer thread, open-telemetry-writer.ts) or, without it, on `db`
 * itself (':memory:', or the writer thread turned off). In-process, the writes run as
 * synchronous transactions (no await per row); serial() holds each back while another
 * handler's async transaction has the connection, so it never lands inside that one.
 */
export function createSqliteTelemetryRepository (db: SqliteDb, writes?: TelemetryWrites): TelemetryRepository {
  return createSqlTelemetryRepository(sqliteSqlDb(db), writes ?? inProcessWrites(db), SQLITE_GPU_HEAD_SQL)
}

function inProcessWrites (db: SqliteDb): TelemetryWrites {
  const writes = createSqliteTelemetryWrites(db)
  return {
    insertSamples: async batches => db.serial(() => writes.insertSamples(batches)),
    rebuildRollups: async (fromMs, toMs) => { await db.serial(() => writes.rebuildRollups(fromMs, toMs)) },
    prune: async request => db.serial(() => writes.prune(request)),
    compact: async request => db.serial(() => writes.compact(request)),
  }
}
