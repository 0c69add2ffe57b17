import { openPostgresStore } from '../../control-plane/store/postgres/open-postgres-store.ts'
import { openSqliteStore } from '../../control-plane/store/sqlite/open-sqlite-store.ts'
import type { Store } from '../../control-plane/store/store.ts'

/** The store behind a `--db` value, opened from outside the control plane to count what it kept. */
export function openStoreFor (db: string): Promise<Store> {
  return /^postgres(ql)?:\/\//i.test(db) ? openPostgresStore(db) : openSqliteStore(db)
}
