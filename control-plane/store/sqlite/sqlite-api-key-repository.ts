import type { Scope } from '../../../shared/wire/introspect.ts'
import {
  ApiKeyConflictError,
  LAST_USED_RESOLUTION_MS,
  type ApiKeyRecord,
  type ApiKeyRepository,
  type ApiKeyWithHash,
  type RevokeResult,
} from '../api-key-repository.ts'
import type { SqliteDb } from './sqlite-db.ts'


interface Row {
  id: number
  key_hash: string
  key_prefix: string
  label: string
  permissions: string
  tenant_id: number | null
  cluster_id: number | null
  created_at: number
  last_used_at: number | null
  revoked_at: number | null
  created_by_key_id: number | null
}

const COLUMNS = 'id, key_hash, key_prefix, label, permissions, tenant_id, cluster_id, created_at, last_used_at, revoked_at, created_by_key_id'
const IS_SUPERADMIN = `EXISTS (SELECT 1 FROM json_each(api_keys.permissions) WHERE value = 'superadmin')`
// SQLITE_CONSTRAINT_UNIQUE: node:sqlite reports the extended result code as `errcode`.
const SQLITE_CONSTRAINT_UNIQUE = 2067

function toRecord (row: Row): ApiKeyRecord {
  return {
    id: row.id,
    keyPrefix: row.key_prefix,
    label: row.label,
    permissions: JSON.parse(row.permissions) as Scope[],
    tenantId: row.tenant_id,
    clusterId: row.cluster_id,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
    createdByKeyId: row.created_by_key_id,
  }
}

export function createSqliteApiKeyRepository (db: SqliteDb): ApiKeyRepository {

  const byId = (id: number) => db.stmt(`SELECT ${COLUMNS} FROM api_keys WHERE id = ?`).get(id) as Row | undefined
  const activeSuperadmins = () =>
    (db.stmt(`SELECT COUNT(*) AS n FROM api_keys WHERE revoked_at IS NULL AND ${IS_SUPERADMIN}`).get() as { n: number }).n

  return {
    async create (key) {
      try {
        const row = db.stmt(`INSERT INTO api_keys
          (key_hash, key_prefix, label, permissions, tenant_id, cluster_id, created_at, created_by_key_id)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`)
          .get(key.keyHash, key.keyPrefix, key.label, JSON.stringify(key.permissions), key.tenantId,
            key.clusterId ?? null, key.createdAt, key.createdByKeyId) as unknown as Row
        return toRecord(row)
      } catch (err) {
        if ((err as { errcode?: number }).errcode === SQLITE_CONSTRAINT_UNIQUE) throw new ApiKeyConflictError()
        throw err
      }
    },

    async findActiveByHash (keyHash) {
      const row = db.stmt(`SELECT ${COLUMNS} FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL`).get(keyHash) as Row | undefined
      if (row === undefined) return null
      const withHash: ApiKeyWithHash = { ...toRecord(row), keyHash: row.key_hash }
      return withHash
    },

    async findByHash (keyHash) {
      const row = db.stmt(`SELECT ${COLUMNS} FROM api_keys WHERE key_hash = ?`).get(keyHash) as Row | undefined
      return row === undefined ? null : toRecord(row)
    },

    async findById (id) {
      const row = byId(id)
      return row === undefined ? null : toRecord(row)
    },

    async list (filter = {}) {
      const rows = filter.tenantId === undefined
        ? db.stmt(`SELECT ${COLUMNS} FROM api_keys ORDER BY id`).all()
        : db.stmt(`SELECT ${COLUMNS} FROM api_keys WHERE tenant_id = ? ORDER BY id`).all(filter.tenantId)
      return (rows as unknown as Row[]).map(toRecord)
    },

    async revoke (id, at): Promise<RevokeResult> {
      return db.tx(() => {
        const row = byId(id)
        if (row === undefined) return { status: 'not-found' }
        const key = toRecord(row)
        if (key.revokedAt !== null) return { status: 'already-revoked', key }
        if (key.permissions.includes('superadmin') && activeSuperadmins() <= 1) return { status: 'last-superadmin', key }
        db.stmt('UPDATE api_keys SET revoked_at = ? WHERE id = ?').run(at, id)
        return { status: 'revoked', key: { ...key, revokedAt: at } }
      })
    },

    async touchLastUsed (id, at) {
      const r = db.stmt(`UPDATE api_keys SET last_used_at = ?
        WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)`)
        .run(at, id, at - LAST_USED_RESOLUTION_MS)
      return Number(r.changes) > 0
    },

    async countActiveSuperadmins () {
      return activeSuperadmins()
    },

    async hasAny () {
      return db.stmt('SELECT 1 FROM api_keys LIMIT 1').get() !== undefined
    },
  }
}
