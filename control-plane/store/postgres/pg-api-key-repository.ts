import type { Scope } from '../../../shared/wire/introspect.ts'
import {
  ApiKeyConflictError,
  LAST_USED_RESOLUTION_MS,
  type ApiKeyRecord,
  type ApiKeyRepository,
  type ApiKeyWithHash,
  type RevokeResult,
} from '../api-key-repository.ts'
import type { PgDb, PgQuery } from './pg-db.ts'
import { isUniqueViolation } from './pg-errors.ts'


interface Row {
  id: number
  key_hash: string
  key_prefix: string
  label: Buffer
  permissions: Scope[]
  tenant_id: number | null
  cluster_id: number | null
  created_at: number
  last_used_at: number | null
  revoked_at: number | null
  created_by_key_id: number | null
}

const COLUMNS = 'id, key_hash, key_prefix, label, permissions, tenant_id, cluster_id, created_at, last_used_at, revoked_at, created_by_key_id'
const IS_SUPERADMIN = `permissions @> '["superadmin"]'::jsonb`
// Every key-changing transaction takes this lock, so the last-superadmin check is atomic.
const LOCK = 'gpufleet:api_keys'

function toRecord (row: Row): ApiKeyRecord {
  return {
    id: row.id,
    keyPrefix: row.key_prefix,
    label: row.label.toString('utf8'),
    permissions: row.permissions,
    tenantId: row.tenant_id,
    clusterId: row.cluster_id,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
    createdByKeyId: row.created_by_key_id,
  }
}

export async function createPgApiKeyRepository (db: PgDb): Promise<ApiKeyRepository> {

  const activeSuperadmins = async (q: PgQuery = db) =>
    (await q.one<{ n: number }>(`SELECT COUNT(*) AS n FROM api_keys WHERE revoked_at IS NULL AND ${IS_SUPERADMIN}`))!.n

  return {
    async create (key) {
      try {
        const row = await db.one<Row>(`INSERT INTO api_keys
          (key_hash, key_prefix, label, permissions, tenant_id, cluster_id, created_at, created_by_key_id)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
        key.keyHash, key.keyPrefix, Buffer.from(key.label, 'utf8'), JSON.stringify(key.permissions), key.tenantId,
        key.clusterId ?? null, key.createdAt, key.createdByKeyId)
        return toRecord(row!)
      } catch (err) {
        if (isUniqueViolation(err)) throw new ApiKeyConflictError()
        throw err
      }
    },

    async findActiveByHash (keyHash) {
      const row = await db.one<Row>(`SELECT ${COLUMNS} FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL`, keyHash)
      if (row === undefined) return null
      const withHash: ApiKeyWithHash = { ...toRecord(row), keyHash: row.key_hash }
      return withHash
    },

    async findByHash (keyHash) {
      const row = await db.one<Row>(`SELECT ${COLUMNS} FROM api_keys WHERE key_hash = ?`, keyHash)
      return row === undefined ? null : toRecord(row)
    },

    async findById (id) {
      const row = await db.one<Row>(`SELECT ${COLUMNS} FROM api_keys WHERE id = ?`, id)
      return row === undefined ? null : toRecord(row)
    },

    async list (filter = {}) {
      const rows = filter.tenantId === undefined
        ? await db.all<Row>(`SELECT ${COLUMNS} FROM api_keys ORDER BY id`)
        : await db.all<Row>(`SELECT ${COLUMNS} FROM api_keys WHERE tenant_id = ? ORDER BY id`, filter.tenantId)
      return rows.map(toRecord)
    },

    async revoke (id, at): Promise<RevokeResult> {
      return db.tx(LOCK, async q => {
        const row = await q.one<Row>(`SELECT ${COLUMNS} FROM api_keys WHERE id = ?`, id)
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
      return activeSuperadmins()
    },

    async hasAny () {
      return (await db.one('SELECT 1 FROM api_keys LIMIT 1')) !== undefined
    },
  }
}
