import type { Store } from './store.ts'
import { openSqliteStore } from './sqlite/open-sqlite-store.ts'
import { openPostgresStore } from './postgres/open-postgres-store.ts'

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

/** `--db`: postgres://… opens the PostgreSQL store; anything else is a SQLite file (':memory:' for tests). */
export async function openStore (db: string): Promise<Store> {
  return isPostgresUrl(db) ? openPostgresStore(db) : openSqliteStore(db)
}
