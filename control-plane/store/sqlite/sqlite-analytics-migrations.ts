import type { Migration } from './apply-migrations.ts'

/**
 * Analytics tables (domain 'analytics'). The jobs, fleet and rates tables it reads belong to
 * other domains (see control-plane/store/README.md); nothing here references them, so a
 * deleted tenant or node never blocks analytics history.
 */
export const ANALYTICS_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'inference records + 15-minute rollups, endpoints + events, global env',
    sql: `
      -- seq: insertion order, the tie-breaker that makes (at, seq) a total order for paging.
      CREATE TABLE inference_records (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL,
        at INTEGER NOT NULL,
        endpoint TEXT NOT NULL,
        model TEXT NOT NULL,
        tenant_id INTEGER,
        source TEXT,
        tokens_in INTEGER NOT NULL,
        tokens_out INTEGER NOT NULL,
        latency_ms REAL NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('ok', 'error'))
      );
      -- Idempotent ingest: a re-sent id is ignored.
      CREATE UNIQUE INDEX inference_records_id ON inference_records (id);
      CREATE INDEX inference_records_at ON inference_records (at, seq);

      -- 15-minute UTC buckets, kept in the ingest transaction. Every zone in use today has an
      -- offset that is a multiple of 15 minutes (Asia/Kathmandu +05:45, Pacific/Chatham
      -- +12:45) and changes offset on a quarter hour, so each bucket lies inside one local day
      -- in any zone and per-day sums are exact; an odd bucket is read from the raw rows.
      -- source '' = none (primary-key columns cannot be NULL here).
      CREATE TABLE inference_rollup_source (
        bucket INTEGER NOT NULL,
        source TEXT NOT NULL,
        requests INTEGER NOT NULL,
        errors INTEGER NOT NULL,
        tokens_in INTEGER NOT NULL,
        tokens_out INTEGER NOT NULL,
        latency_ms_sum REAL NOT NULL,
        PRIMARY KEY (bucket, source)
      ) WITHOUT ROWID;
      -- The same sums per endpoint, for the activity totals of endpoint history.
      CREATE TABLE inference_rollup_endpoint (
        endpoint TEXT NOT NULL,
        bucket INTEGER NOT NULL,
        requests INTEGER NOT NULL,
        errors INTEGER NOT NULL,
        tokens_in INTEGER NOT NULL,
        tokens_out INTEGER NOT NULL,
        latency_ms_sum REAL NOT NULL,
        PRIMARY KEY (endpoint, bucket)
      ) WITHOUT ROWID;

      -- One row per deployment: a name is live at most once, and can be deployed again after
      -- a delete (a new row, a new lifecycle).
      CREATE TABLE endpoints (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        model TEXT NOT NULL,
        replicas INTEGER NOT NULL CHECK (replicas >= 0),
        status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'degraded', 'stopped', 'deleted')),
        tenant_id INTEGER,
        source TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        deleted_at INTEGER
      );
      CREATE UNIQUE INDEX endpoints_live_name ON endpoints (name) WHERE deleted_at IS NULL;
      CREATE INDEX endpoints_created ON endpoints (created_at, id);
      CREATE TABLE endpoint_events (
        id INTEGER PRIMARY KEY,
        endpoint_id INTEGER NOT NULL REFERENCES endpoints(id),
        kind TEXT NOT NULL CHECK (kind IN ('created', 'updated', 'deleted')),
        at INTEGER NOT NULL,
        detail TEXT
      );
      CREATE INDEX endpoint_events_endpoint ON endpoint_events (endpoint_id, at, id);

      CREATE TABLE global_env (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `,
  },
]
