import type { Migration } from './apply-migrations.ts'

/**
 * Fleet tables (domain 'fleet'). Readings are REAL because seed 003 sends fractional
 * utilization and temperatures; times are epoch ms. GPUs are unique per (node, gpu_index):
 * that index is the key the agent's telemetry uses (seed 000's gpu_id).
 */
export const FLEET_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'clusters, nodes, gpus, node events',
    sql: `
      CREATE TABLE clusters (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        region TEXT,
        status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active')),
        created_at INTEGER NOT NULL
      );
      CREATE TABLE nodes (
        id INTEGER PRIMARY KEY,
        cluster_id INTEGER NOT NULL REFERENCES clusters(id),
        hostname TEXT NOT NULL UNIQUE,
        ip_address TEXT,
        total_gpus INTEGER,
        cpu_cores INTEGER,
        ram_gb INTEGER,
        agent_url TEXT,
        status TEXT NOT NULL CHECK (status IN ('online', 'offline')),
        last_seen_at INTEGER,
        registered_at INTEGER NOT NULL
      );
      CREATE INDEX nodes_cluster ON nodes (cluster_id);
      CREATE INDEX nodes_status_seen ON nodes (status, last_seen_at);
      CREATE TABLE gpus (
        id INTEGER PRIMARY KEY,
        node_id INTEGER NOT NULL REFERENCES nodes(id),
        gpu_index INTEGER NOT NULL,
        uuid TEXT,
        model TEXT,
        vram_mb INTEGER,
        status TEXT NOT NULL DEFAULT 'idle' CHECK (status IN ('idle', 'active')),
        utilization_pct REAL,
        memory_used_mb REAL,
        memory_total_mb REAL,
        temperature_c REAL,
        power_draw_w REAL,
        updated_at INTEGER,
        created_at INTEGER NOT NULL,
        UNIQUE (node_id, gpu_index)
      );
      CREATE TABLE node_events (
        id INTEGER PRIMARY KEY,
        node_id INTEGER NOT NULL REFERENCES nodes(id),
        kind TEXT NOT NULL CHECK (kind IN ('registered', 'online', 'offline')),
        at INTEGER NOT NULL,
        detail TEXT
      );
      CREATE INDEX node_events_at ON node_events (at, id);
    `,
  },
  {
    version: 2,
    name: "gpus: status 'unknown' (null utilization is never idle), MIG mode and instances",
    rebuildsTable: true,
    // A GPU whose newest reading has no utilization (MIG-enabled GPUs always: [N/A]) or that
    // has none yet was stored 'idle' and so looked free to the scheduler: it is 'unknown' now.
    // mig_instances: the newest instance list as JSON (read and written whole, with the GPU).
    sql: `
      CREATE TABLE gpus_v2 (
        id INTEGER PRIMARY KEY,
        node_id INTEGER NOT NULL REFERENCES nodes(id),
        gpu_index INTEGER NOT NULL,
        uuid TEXT,
        model TEXT,
        vram_mb INTEGER,
        status TEXT NOT NULL DEFAULT 'unknown' CHECK (status IN ('idle', 'active', 'unknown')),
        utilization_pct REAL,
        memory_used_mb REAL,
        memory_total_mb REAL,
        temperature_c REAL,
        power_draw_w REAL,
        updated_at INTEGER,
        created_at INTEGER NOT NULL,
        mig_mode TEXT,
        mig_instances TEXT,
        UNIQUE (node_id, gpu_index)
      );
      INSERT INTO gpus_v2 (id, node_id, gpu_index, uuid, model, vram_mb, status, utilization_pct, memory_used_mb,
          memory_total_mb, temperature_c, power_draw_w, updated_at, created_at)
        SELECT id, node_id, gpu_index, uuid, model, vram_mb,
               CASE WHEN utilization_pct IS NULL THEN 'unknown' ELSE status END,
               utilization_pct, memory_used_mb, memory_total_mb, temperature_c, power_draw_w, updated_at, created_at
        FROM gpus;
      DROP TABLE gpus;
      ALTER TABLE gpus_v2 RENAME TO gpus;
    `,
  },
  {
    version: 3,
    name: 'GPU health reported by the agent (Xid errors, row remapper)',
    sql: `
      ALTER TABLE gpus ADD COLUMN xid_count INTEGER;
      ALTER TABLE gpus ADD COLUMN xid_last INTEGER;
      ALTER TABLE gpus ADD COLUMN xid_last_at INTEGER;
      ALTER TABLE gpus ADD COLUMN remapped_rows_correctable INTEGER;
      ALTER TABLE gpus ADD COLUMN remapped_rows_uncorrectable INTEGER;
      ALTER TABLE gpus ADD COLUMN remapped_rows_pending INTEGER;
      ALTER TABLE gpus ADD COLUMN remapped_rows_failure INTEGER;
      ALTER TABLE gpus ADD COLUMN health_at INTEGER;
    `,
  },
  {
    version: 4,
    name: 'nodes: drained_at (no new jobs placed there while set)',
    sql: 'ALTER TABLE nodes ADD COLUMN drained_at INTEGER;',
  },
  {
    version: 5,
    name: 'clusters: default_time_limit_min (a job submitted without time_limit_min gets it)',
    sql: 'ALTER TABLE clusters ADD COLUMN default_time_limit_min INTEGER;',
  },
]
