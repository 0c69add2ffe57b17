import type { NewOperatorKey, OperatorKeyRecord, OperatorKeyRepository } from '../operator-key-repository.ts'
import type { PgDb } from './pg-db.ts'
import { applyPgMigrations, type PgMigration } from './apply-pg-migrations.ts'

export const PG_OPERATOR_KEY_MIGRATIONS: readonly PgMigration[] = [{
  version: 1,
  name: 'operator_signing_keys',
  // As in SQLite: `active` is TRUE for the one signing key, NULL for retired ones.
  sql: `
    CREATE TABLE operator_signing_keys (
      kid TEXT PRIMARY KEY,
      alg TEXT NOT NULL CHECK (alg = 'EdDSA'),
      public_jwk JSONB NOT NULL,
      private_jwk JSONB NOT NULL,
      active BOOLEAN UNIQUE CHECK (active),
      created_at BIGINT NOT NULL,
      retired_at BIGINT
    );
  `,
}]

interface Row {
  kid: string
  alg: 'EdDSA'
  public_jwk: Record<string, unknown>
  private_jwk: Record<string, unknown>
  created_at: number
  retired_at: number | null
}

const COLUMNS = 'kid, alg, public_jwk, private_jwk, created_at, retired_at'

function toRecord (row: Row): OperatorKeyRecord {
  return {
    kid: row.kid,
    alg: row.alg,
    publicJwk: JSON.stringify(row.public_jwk),
    privateJwk: JSON.stringify(row.private_jwk),
    createdAt: row.created_at,
    retiredAt: row.retired_at,
  }
}

export async function createPgOperatorKeyRepository (db: PgDb): Promise<OperatorKeyRepository> {
  await applyPgMigrations(db, 'operator-keys', PG_OPERATOR_KEY_MIGRATIONS)
  const active = () => db.one<Row>(`SELECT ${COLUMNS} FROM operator_signing_keys WHERE active`)

  return {
    async activeSigningKey () {
      const row = await active()
      return row === undefined ? null : toRecord(row)
    },

    async addSigningKeyIfNone (key: NewOperatorKey) {
      await db.run(`INSERT INTO operator_signing_keys (kid, alg, public_jwk, private_jwk, active, created_at)
        VALUES (?, ?, ?::jsonb, ?::jsonb, TRUE, ?) ON CONFLICT DO NOTHING`,
      key.kid, key.alg, key.publicJwk, key.privateJwk, key.createdAt)
      return toRecord((await active())!)
    },

    async revocationEpoch () {
      return (await db.one<{ n: number }>('SELECT COUNT(*) AS n FROM api_keys WHERE revoked_at IS NOT NULL'))!.n
    },
  }
}
