import type { NewOperatorKey, OperatorKeyRecord, OperatorKeyRepository } from '../operator-key-repository.ts'
import type { PgDb } from './pg-db.ts'


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
