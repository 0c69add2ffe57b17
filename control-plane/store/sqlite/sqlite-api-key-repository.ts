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
import { applyMigrations, type Migration } from './apply-migrations.ts'

// What POST /api/clusters minted before keys were bound (see migration 2).
const CLUSTER_KEY_SHAPE = `json_array_length(permissions) = 1 AND json_extract(permissions, '$[0]') = 'ingest'
  AND tenant_id IS NULL AND created_by_key_id IS NULL`

const MIGRATIONS: Migration[] = [{
  version: 1,
  name: 'api_keys',
  // AUTOINCREMENT: a revoked key's id is never handed to a new key, so audit references
  // (created_by_key_id, logs naming key ids) stay unambiguous.
  sql: `
    CREATE TABLE api_keys (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      key_hash TEXT NOT NULL UNIQUE CHECK (length(key_hash) = 64),
      key_prefix TEXT NOT NULL,
      label TEXT NOT NULL,
      permissions TEXT NOT NULL CHECK (json_valid(permissions)),
      tenant_id INTEGER,
      created_at INTEGER NOT NULL,
      last_used_at INTEGER,
      revoked_at INTEGER,
      created_by_key_id INTEGER REFERENCES api_keys (id)
    );
    CREATE INDEX api_keys_tenant ON api_keys (tenant_id);
  `,
}, {
  version: 2,
  name: 'api_keys_cluster_binding',
  // Agent keys bound to their cluster (issue 12). Existing keys are attributed by what
  // POST /api/clusters made: ingest scope only, no tenant, no creating key (an admin's keys
  // always name theirs) and the label "cluster <name> agents" of an existing cluster. Such a
  // key whose cluster cannot be found is revoked (fail closed: it was never meant to act for
  // any other cluster). Other ingest keys were made deliberately by an admin and stay unbound.
  // Runs after the fleet domain's migrations (open-sqlite-store.ts opens the fleet first).
  sql: `
    ALTER TABLE api_keys ADD COLUMN cluster_id INTEGER;
    UPDATE api_keys SET cluster_id = (SELECT c.id FROM clusters c WHERE api_keys.label = 'cluster ' || c.name || ' agents')
      WHERE ${CLUSTER_KEY_SHAPE};
    UPDATE api_keys SET revoked_at = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
      WHERE ${CLUSTER_KEY_SHAPE} AND cluster_id IS NULL AND revoked_at IS NULL AND label LIKE 'cluster % agents';
    CREATE INDEX api_keys_cluster ON api_keys (cluster_id);
  `,
}]

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
  applyMigrations(db, 'api-key', MIGRATIONS)

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
