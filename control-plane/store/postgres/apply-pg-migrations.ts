import type { PgDb } from './pg-db.ts'

export interface PgMigration {
  version: number
  name: string
  sql: string
}

// Every replica applies migrations at start; this lock makes the second one wait and then
// find them applied instead of racing the first.
const MIGRATION_LOCK = 'gpufleet:migrations'

/**
 * Versioned migrations per domain, as in the SQLite store (schema_migrations(domain, version)),
 * each domain's pending ones applied in order in one transaction under an advisory lock.
 */
export async function applyPgMigrations (db: PgDb, domain: string, migrations: readonly PgMigration[]): Promise<number> {
  return db.tx(MIGRATION_LOCK, async q => {
    await q.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      domain TEXT NOT NULL,
      version INTEGER NOT NULL,
      name TEXT NOT NULL,
      applied_at BIGINT NOT NULL,
      PRIMARY KEY (domain, version)
    )`)
    // Each version not recorded yet, not only those above the highest: a test that deletes an
    // older version's row to re-run it is not blocked by a later migration.
    const done = new Set((await q.all<{ version: number }>('SELECT version FROM schema_migrations WHERE domain = ?', domain)).map(r => Number(r.version)))
    let applied = 0
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue
      await q.exec(m.sql)
      await q.run('INSERT INTO schema_migrations (domain, version, name, applied_at) VALUES (?, ?, ?, ?)', domain, m.version, m.name, Date.now())
      applied++
    }
    return applied
  })
}
