import type { SqliteDb } from '../../control-plane/store/sqlite/sqlite-db.ts'
import { openSqliteDb } from '../../control-plane/store/sqlite/sqlite-db.ts'
import { sqliteSqlDb } from '../../control-plane/store/sqlite/sqlite-sql-db.ts'
import { migrateSqliteStore } from '../../control-plane/store/sqlite/migrate-sqlite-store.ts'
import type { SqlDb } from '../../control-plane/store/sql-db.ts'
import type { Store } from '../../control-plane/store/store.ts'

type Repositories = Omit<Store, 'engine' | 'close'>

/**
 * A migrated SQLite store with only the repositories `build` returns; the others are empty
 * stubs, so a suite that reaches past its own domains fails loudly instead of depending on them.
 * `path` defaults to an in-memory database.
 */
export function openPartialSqliteStore (
  build: (sql: SqlDb, db: SqliteDb) => Partial<Repositories>,
  path = ':memory:',
): { store: Store, db: SqliteDb } {
  const db = openSqliteDb(path)
  migrateSqliteStore(db)
  const stub = {} as never
  const store: Store = {
    engine: 'sqlite',
    apiKeys: stub,
    fleet: stub,
    telemetry: stub,
    tenants: stub,
    jobs: stub,
    billing: stub,
    alerts: stub,
    dashboard: stub,
    analytics: stub,
    sessions: stub,
    operatorKeys: stub,
    jobLogs: stub,
    processes: stub,
    slurm: stub,
    gpuHistory: stub,
    ...build(sqliteSqlDb(db), db),
    async close () { db.close() },
  }
  return { store, db }
}
