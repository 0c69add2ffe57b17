import type { Scope } from '../../../shared/wire/introspect.ts'
import {
  ApiKeyConflictError,
  LAST_USED_RESOLUTION_MS,
  type ApiKeyRecord,
  type ApiKeyRepository,
  type ApiKeyWithHash,
  type RevokeResult,
} from '../api-key-repository.ts'
import type { Row, SqlDb, SqlQuery } from '../sql-db.ts'
import { API_KEYS_LOCK } from '../store-locks.ts'
import { numOrNull } from './cells.ts'

const COLUMNS = 'id, key_hash, key_prefix, label, permissions, tenant_id, cluster_id, created_at, last_used_at, revoked_at, created_by_key_id'


// permissions is JSON text on SQLite, JSONB (parsed by pg) on PostgreSQL; the label is TEXT on
// SQLite, BYTEA (UTF-8) on PostgreSQL, whose TEXT cannot hold NUL.
function toRecord (r: Row): ApiKeyRecord {
  return {
    id: Number(r.id),
    keyPrefix: String(r.key_prefix),
    label: typeof r.label === 'string' ? r.label : (r.label as Buffer).toString('utf8'),
    permissions: (typeof r.permissions === 'string' ? JSON.parse(r.permissions) : r.permissions) as Scope[],
    tenantId: numOrNull(r.tenant_id),
    clusterId: numOrNull(r.cluster_id),
    createdAt: Number(r.created_at),
    lastUsedAt: numOrNull(r.last_used_at),
    revokedAt: numOrNull(r.revoked_at),
    createdByKeyId: numOrNull(r.created_by_key_id),
  }
}

export function createSqlApiKeyRepository (db: SqlDb): ApiKeyRepository {
  const isSuperadmin = db.dialect.jsonArrayHas('permissions')
  const activeSuperadmins = async (q: SqlQuery) =>
    Number((await q.one(`SELECT COUNT(*) AS n FROM api_keys WHERE revoked_at IS NULL AND ${isSuperadmin}`, 'superadmin'))!.n)

  return {
    async create (key) {
      try {
        const row = await db.one(`INSERT INTO api_keys
          (key_hash, key_prefix, label, permissions, tenant_id, cluster_id, created_at, created_by_key_id)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
        key.keyHash, key.keyPrefix, db.dialect.verbatimText(key.label), JSON.stringify(key.permissions), key.tenantId,
        key.clusterId ?? null, key.createdAt, key.createdByKeyId)
        return toRecord(row!)
      } catch (err) {
        if (db.dialect.isUniqueViolation(err)) throw new ApiKeyConflictError()
        throw err
      }
    },

    async findActiveByHash (keyHash) {
      const row = await db.one(`SELECT ${COLUMNS} FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL`, keyHash)
      if (row === undefined) return null
      const withHash: ApiKeyWithHash = { ...toRecord(row), keyHash: String(row.key_hash) }
      return withHash
    },

    async findByHash (keyHash) {
      const row = await db.one(`SELECT ${COLUMNS} FROM api_keys WHERE key_hash = ?`, keyHash)
      return row === undefined ? null : toRecord(row)
    },

    async findById (id) {
      const row = await db.one(`SELECT ${COLUMNS} FROM api_keys WHERE id = ?`, id)
      return row === undefined ? null : toRecord(row)
    },

    async list (filter = {}) {
      const rows = filter.tenantId === undefined
        ? await db.all(`SELECT ${COLUMNS} FROM api_keys ORDER BY id`)
        : await db.all(`SELECT ${COLUMNS} FROM api_keys WHERE tenant_id = ? ORDER BY id`, filter.tenantId)
      return rows.map(toRecord)
    },

    async revoke (id, at): Promise<RevokeResult> {
      // The lock makes the last-superadmin check atomic across replicas on PostgreSQL.
      return db.tx(API_KEYS_LOCK, async q => {
        const row = await q.one(`SELECT ${COLUMNS} FROM api_keys WHERE id = ?`, id)
        if (row === undefined) return { status: 'not-found' }
        const key = toRecord(row)
        if (key.revokedAt !== null) return { status: 'already-revoked', key }
        if (key.permissions.includes('superadmin') && await activeSuperadmins(q) <= 1) return { status: 'last-superadmin', key }
        await q.run('UPDATE api_keys SET revoked_at = ? WHERE id = ?', at, id)
        return { status: 'revoked', key: { ...key, revokedAt: at } }
      })
    },

    async touchLastUsed (id, at) {
      const n = await db.run(`UPDATE api_keys SET last_used_at = ?
        WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)`, at, id, at - LAST_USED_RESOLUTION_MS)
      return n > 0
    },

    async countActiveSuperadmins () {
      return activeSuperadmins(db)
    },

    async hasAny () {
      return (await db.one('SELECT 1 FROM api_keys LIMIT 1')) !== undefined
    },
  }
}
