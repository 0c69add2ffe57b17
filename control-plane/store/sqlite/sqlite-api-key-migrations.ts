import type { Migration } from './apply-migrations.ts'

// What POST /api/clusters minted before keys were bound (see migration 2).
const CLUSTER_KEY_SHAPE = `json_array_length(permissions) = 1 AND json_extract(permissions, '$[0]') = 'ingest'
  AND tenant_id IS NULL AND created_by_key_id IS NULL`

export const API_KEY_MIGRATIONS: Migration[] = [{
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
