import type { SqliteDb } from './sqlite-db.ts'

export interface Migration {
  version: number
  name: string
  sql: string
  /**
   * SQLite cannot change a CHECK constraint in place: the table is rebuilt (create new, copy,
   * drop old, rename), which needs foreign keys off around the transaction (SQLite's own
   * procedure, "Making Other Kinds Of Table Schema Changes"; PRAGMA foreign_keys is a no-op
   * inside one). The rebuild is checked with PRAGMA foreign_key_check before it commits.
   */
  rebuildsTable?: boolean
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
  // Each version not recorded yet, not only those above the highest: a test that deletes an
  // older version's row to re-run it is not blocked by a later migration.
  const done = new Set((db.stmt('SELECT version FROM schema_migrations WHERE domain = ?').all(domain) as Array<{ version: number }>).map(r => Number(r.version)))
  let applied = 0
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(m.version)) continue
    if (m.rebuildsTable === true) db.raw.exec('PRAGMA foreign_keys = OFF')
    try {
      db.tx(() => {
        db.raw.exec(m.sql)
        if (m.rebuildsTable === true) {
          const broken = db.raw.prepare('PRAGMA foreign_key_check').all()
          if (broken.length > 0) throw new Error(`migration ${domain} ${m.version} left ${broken.length} foreign key violations`)
        }
        db.stmt('INSERT INTO schema_migrations (domain, version, name, applied_at) VALUES (?, ?, ?, ?)')
          .run(domain, m.version, m.name, Date.now())
      })
    } finally {
      if (m.rebuildsTable === true) db.raw.exec('PRAGMA foreign_keys = ON')
    }
    applied++
  }
  return applied
}
