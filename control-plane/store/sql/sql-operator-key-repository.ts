import type { NewOperatorKey, OperatorKeyRecord, OperatorKeyRepository } from '../operator-key-repository.ts'
import type { Row, SqlDb } from '../sql-db.ts'

const COLUMNS = 'kid, alg, public_jwk, private_jwk, created_at, retired_at'

// The JWKs are JSON text on SQLite, JSONB (parsed by pg) on PostgreSQL.
const jwk = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v))

function toRecord (r: Row): OperatorKeyRecord {
  return {
    kid: String(r.kid),
    alg: r.alg as OperatorKeyRecord['alg'],
    publicJwk: jwk(r.public_jwk),
    privateJwk: jwk(r.private_jwk),
    createdAt: Number(r.created_at),
    retiredAt: r.retired_at === null ? null : Number(r.retired_at),
  }
}

export function createSqlOperatorKeyRepository (db: SqlDb): OperatorKeyRepository {
  // `active` is 1 on SQLite, TRUE on PostgreSQL: a bound true is either.
  const active = () => db.one(`SELECT ${COLUMNS} FROM operator_signing_keys WHERE active = ?`, true)

  return {
    async activeSigningKey () {
      const row = await active()
      return row === undefined ? null : toRecord(row)
    },

    async addSigningKeyIfNone (key: NewOperatorKey) {
      await db.run(`INSERT INTO operator_signing_keys (kid, alg, public_jwk, private_jwk, active, created_at)
        VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      key.kid, key.alg, key.publicJwk, key.privateJwk, true, key.createdAt)
      return toRecord((await active())!)
    },

    async revocationEpoch () {
      return Number((await db.one('SELECT COUNT(*) AS n FROM api_keys WHERE revoked_at IS NOT NULL'))!.n)
    },
  }
}
