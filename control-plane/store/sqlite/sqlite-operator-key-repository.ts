import type { NewOperatorKey, OperatorKeyRecord, OperatorKeyRepository } from '../operator-key-repository.ts'
import type { SqliteDb } from './sqlite-db.ts'


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
