import type { NewOperatorKey, OperatorKeyRecord, OperatorKeyRepository } from '../operator-key-repository.ts'
import type { SqliteDb } from './sqlite-db.ts'
import { applyMigrations, type Migration } from './apply-migrations.ts'

export const OPERATOR_KEY_MIGRATIONS: readonly Migration[] = [{
  version: 1,
  name: 'operator_signing_keys',
  // `active` is 1 for the one signing key and NULL for retired ones: UNIQUE allows many NULLs
  // and one 1, so two replicas cannot both install a first key.
  sql: `
    CREATE TABLE operator_signing_keys (
      kid TEXT PRIMARY KEY,
      alg TEXT NOT NULL CHECK (alg = 'EdDSA'),
      public_jwk TEXT NOT NULL CHECK (json_valid(public_jwk)),
      private_jwk TEXT NOT NULL CHECK (json_valid(private_jwk)),
      active INTEGER UNIQUE CHECK (active = 1),
      created_at INTEGER NOT NULL,
      retired_at INTEGER
    );
  `,
}]

interface Row {
  kid: string
  alg: 'EdDSA'
  public_jwk: string
  private_jwk: string
  created_at: number
  retired_at: number | null
}

const COLUMNS = 'kid, alg, public_jwk, private_jwk, created_at, retired_at'

function toRecord (row: Row): OperatorKeyRecord {
  return { kid: row.kid, alg: row.alg, publicJwk: row.public_jwk, privateJwk: row.private_jwk, createdAt: row.created_at, retiredAt: row.retired_at }
}

export function createSqliteOperatorKeyRepository (db: SqliteDb): OperatorKeyRepository {
  applyMigrations(db, 'operator-keys', OPERATOR_KEY_MIGRATIONS)
  const active = () => db.stmt(`SELECT ${COLUMNS} FROM operator_signing_keys WHERE active = 1`).get() as Row | undefined

  return {
    async activeSigningKey () {
      const row = active()
      return row === undefined ? null : toRecord(row)
    },

    async addSigningKeyIfNone (key: NewOperatorKey) {
      db.stmt(`INSERT INTO operator_signing_keys (kid, alg, public_jwk, private_jwk, active, created_at)
        VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT DO NOTHING`)
        .run(key.kid, key.alg, key.publicJwk, key.privateJwk, key.createdAt)
      return toRecord(active()!)
    },

    async revocationEpoch () {
      return (db.stmt('SELECT COUNT(*) AS n FROM api_keys WHERE revoked_at IS NOT NULL').get() as { n: number }).n
    },
  }
}
