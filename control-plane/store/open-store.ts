import type { Store } from './store.ts'
import { openSqliteStore, type SqliteStoreOptions } from './sqlite/open-sqlite-store.ts'
import { openPostgresStore } from './postgres/open-postgres-store.ts'
import type { TelemetryEngine } from '../telemetry-engine.ts'
import { createVmClient } from './vm/create-vm-client.ts'
import { createVmTelemetryRepository } from './vm/vm-telemetry-repository.ts'
import { withVmTelemetry } from './vm/with-vm-telemetry.ts'
import { vmFlagProblems } from './vm/check-vm-flags.ts'

const POSTGRES_URL = /^postgres(ql)?:\/\//i

export function isPostgresUrl (db: string): boolean {
  return POSTGRES_URL.test(db)
}

/** `--db` as it may be logged: a PostgreSQL URL without its password. */
export function redactDb (db: string): string {
  if (!isPostgresUrl(db)) return db
  try {
    const url = new URL(db)
    if (url.password !== '') url.password = '***'
    return url.toString()
  } catch {
    return 'postgres://…'
  }
}

/**
 * `--db`: postgres://… opens the PostgreSQL store; anything else is a SQLite file (':memory:'
 * for tests). `sqlite` options (checkpoint thread, its metrics) apply to SQLite only.
 * `telemetry`: `--telemetry`, the SQL tables (default) or VictoriaMetrics (its flags checked
 * once, problems logged through `sqlite.log`).
 */
export async function openStore (db: string, sqlite: SqliteStoreOptions = {}, telemetry: TelemetryEngine = { kind: 'sql' }): Promise<Store> {
  const store = isPostgresUrl(db) ? await openPostgresStore(db) : await openSqliteStore(db, sqlite)
  if (telemetry.kind === 'sql') return store
  // `--telemetry vm=…`: samples go to VictoriaMetrics; everything relational stays in `--db`.
  const client = createVmClient({ insertUrl: telemetry.insertUrl, selectUrl: telemetry.selectUrl })
  // Said once at start, never awaited nor fatal: VictoriaMetrics may come up after the control plane.
  void client.flags().then(
    page => { for (const problem of vmFlagProblems(page)) sqlite.log?.warn({}, `VictoriaMetrics: ${problem}`) },
    (err: unknown) => sqlite.log?.warn({ err: { message: (err as Error).message } }, 'VictoriaMetrics: its /flags could not be read; see docs/victoriametrics.md for what it needs'))
  return withVmTelemetry(store, createVmTelemetryRepository({ client }), client)
}
