import type { SqliteDb } from './sqlite-db.ts'

export interface Migration {
  version: number
  name: string
  sql: string
}

/**
 * Versioned migrations per domain (api_keys, fleet, telemetry, …): each domain numbers its
 * own, so domains evolve independently. Applied in order at start, each in a transaction.
 */
export function applyMigrations (db: SqliteDb, domain: string, migrations: readonly Migration[]): number {
  db.raw.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    domain TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL,
    PRIMARY KEY (domain, version)
  )`)
  const row = db.stmt('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations WHERE domain = ?').get(domain) as { v: number }
  let applied = 0
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (m.version <= row.v) continue
    db.tx(() => {
      db.raw.exec(m.sql)
      db.stmt('INSERT INTO schema_migrations (domain, version, name, applied_at) VALUES (?, ?, ?, ?)')
        .run(domain, m.version, m.name, Date.now())
    })
    applied++
  }
  return applied
}
