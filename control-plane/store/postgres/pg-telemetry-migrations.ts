import type { PgMigration } from './apply-pg-migrations.ts'
import { pgRebuildScript } from './pg-rebuild-rollups.ts'

/**
 * Telemetry schema, the SQLite one (sqlite-telemetry-migrations.ts) on PostgreSQL, except that
 * the time-keyed tables are range-partitioned by UTC day on their epoch-ms column: retention
 * DROPs whole days instead of deleting rows, and inserts touch one small partition's indexes.
 * Partitions are created ahead and on demand (pg-day-partitions.ts); there is no default
 * partition, so a row never lands somewhere retention would have to DELETE it from.
 */
export const PG_TELEMETRY_MIGRATIONS: PgMigration[] = [
  {
    version: 1,
    name: 'raw samples, latest per GPU, per-second sums, rollups (partitioned by day)',
    sql: `
      CREATE SEQUENCE gpu_stats_id_seq;
      CREATE TABLE gpu_stats (
        id BIGINT NOT NULL DEFAULT nextval('gpu_stats_id_seq'),
        node_id BIGINT NOT NULL,
        cluster_id BIGINT,
        gpu_id INTEGER NOT NULL,
        recorded_at BIGINT NOT NULL,
        power_draw_w DOUBLE PRECISION,
        temp_c DOUBLE PRECISION,
        memory_used_mb DOUBLE PRECISION,
        memory_total_mb DOUBLE PRECISION,
        utilization_pct DOUBLE PRECISION,
        power_draw_avg_w DOUBLE PRECISION,
        power_limit_w DOUBLE PRECISION,
        memory_temp_c DOUBLE PRECISION,
        memory_reserved_mb DOUBLE PRECISION,
        memory_utilization_pct DOUBLE PRECISION,
        sm_clock_mhz DOUBLE PRECISION,
        mem_clock_mhz DOUBLE PRECISION,
        ecc_errors_corrected BIGINT,
        ecc_errors_uncorrected BIGINT
      ) PARTITION BY RANGE (recorded_at);
      -- Idempotency key (it includes the partition key, as PostgreSQL requires) and node ranges.
      CREATE UNIQUE INDEX gpu_stats_node_time_gpu ON gpu_stats (node_id, recorded_at, gpu_id);

      CREATE TABLE gpu_stats_latest (
        node_id BIGINT NOT NULL,
        gpu_id INTEGER NOT NULL,
        recorded_at BIGINT NOT NULL,
        PRIMARY KEY (node_id, gpu_id)
      );

      CREATE TABLE gpu_identity (
        node_id BIGINT NOT NULL,
        gpu_id INTEGER NOT NULL,
        identity_at BIGINT NOT NULL,
        cluster_id BIGINT,
        hostname TEXT,
        name TEXT NOT NULL,
        uuid TEXT,
        pci_bus_id TEXT,
        PRIMARY KEY (node_id, gpu_id)
      );
      CREATE INDEX gpu_identity_cluster ON gpu_identity (cluster_id);
      CREATE INDEX gpu_identity_hostname ON gpu_identity (hostname);

      CREATE TABLE gpu_power_second (
        scope_kind SMALLINT NOT NULL,
        scope_id BIGINT NOT NULL,
        second_at BIGINT NOT NULL,
        power_sum_w DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (scope_kind, scope_id, second_at)
      ) PARTITION BY RANGE (second_at);

      CREATE TABLE gpu_rollup (
        scope_kind SMALLINT NOT NULL,
        scope_id BIGINT NOT NULL,
        span_min INTEGER NOT NULL,
        bucket_at BIGINT NOT NULL,
        power_max_w DOUBLE PRECISION,
        power_sum_w DOUBLE PRECISION NOT NULL,
        power_n BIGINT NOT NULL,
        util_sum DOUBLE PRECISION NOT NULL,
        util_n BIGINT NOT NULL,
        util_max DOUBLE PRECISION,
        temp_sum DOUBLE PRECISION NOT NULL,
        temp_n BIGINT NOT NULL,
        samples BIGINT NOT NULL,
        PRIMARY KEY (scope_kind, scope_id, span_min, bucket_at)
      ) PARTITION BY RANGE (bucket_at);
    `,
  },
  {
    version: 2,
    name: 'power per recorded_at: rollups and per-second sums recomputed from raw rows',
    // As SQLite's telemetry migration 3: earlier versions added every row of a wall-clock
    // second, so two ticks of one node in one second counted twice. What raw rows still cover
    // is recomputed, from the oldest raw row's hour when no minute rollup is older than its
    // minute (nothing pruned yet), else from the next whole hour. The days it writes exist:
    // the old code wrote rollups and per-second sums for every raw row it stored.
    sql: `
      CREATE TEMP TABLE rebuild_range ON COMMIT DROP AS
      SELECT CASE WHEN (SELECT MIN(bucket_at) FROM gpu_rollup WHERE span_min = 1) >= m / 60000 * 60000
          THEN m / 3600000 * 3600000 ELSE (m + 3599999) / 3600000 * 3600000 END AS lo,
        (x / 3600000 + 1) * 3600000 AS hi
      FROM (SELECT MIN(recorded_at) AS m, MAX(recorded_at) AS x FROM gpu_stats) AS r;
      ${pgRebuildScript()}
    `,
  },
  {
    version: 3,
    name: 'gpu_stats.pstate',
    // As SQLite's telemetry migration 4. Added to the partitioned parent, so to every day.
    sql: 'ALTER TABLE gpu_stats ADD COLUMN pstate SMALLINT;',
  },  {
    version: 4,
    name: 'compressed raw telemetry: gpu_block, gpu_power_block',
    // As SQLite's telemetry migration 5: one compressed block per node and 5-minute span, one
    // per scope and span for the per-second sums (store/gpu-block-codec.ts).
    sql: `
      CREATE TABLE gpu_block (
        node_id BIGINT NOT NULL,
        block_at BIGINT NOT NULL,
        row_count INTEGER NOT NULL,
        data BYTEA NOT NULL,
        PRIMARY KEY (node_id, block_at)
      );
      CREATE INDEX gpu_block_at ON gpu_block (block_at);
      CREATE TABLE gpu_power_block (
        scope_kind SMALLINT NOT NULL,
        scope_id BIGINT NOT NULL,
        block_at BIGINT NOT NULL,
        data BYTEA NOT NULL,
        PRIMARY KEY (scope_kind, scope_id, block_at)
      );
      CREATE INDEX gpu_power_block_at ON gpu_power_block (block_at);
    `,
  },
  {
    // 5, not 4: SQLite's version 6 (4 is left to compressed raw storage, SQLite's 5).
    version: 5,
    name: 'per-GPU history rollups, their watermark and dirty buckets',
    // As SQLite's telemetry migration 6. Not partitioned: a GPU adds ~312 rows a day, and
    // retention deletes in bounded batches by bucket_at.
    sql: `
      CREATE TABLE gpu_history (
        node_id BIGINT NOT NULL,
        span_min INTEGER NOT NULL,
        bucket_at BIGINT NOT NULL,
        gpu_id INTEGER NOT NULL,
        samples BIGINT NOT NULL,
        util_sum DOUBLE PRECISION NOT NULL,
        util_n BIGINT NOT NULL,
        util_max DOUBLE PRECISION,
        temp_sum DOUBLE PRECISION NOT NULL,
        temp_n BIGINT NOT NULL,
        temp_max DOUBLE PRECISION,
        mem_sum DOUBLE PRECISION NOT NULL,
        mem_n BIGINT NOT NULL,
        mem_max DOUBLE PRECISION,
        mem_total DOUBLE PRECISION,
        power_sum DOUBLE PRECISION NOT NULL,
        power_n BIGINT NOT NULL,
        power_max DOUBLE PRECISION,
        PRIMARY KEY (node_id, span_min, bucket_at, gpu_id)
      );
      CREATE INDEX gpu_history_at ON gpu_history (bucket_at);

      CREATE TABLE gpu_history_state (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        watermark_at BIGINT NOT NULL
      );

      CREATE TABLE gpu_history_dirty (
        node_id BIGINT NOT NULL,
        bucket_at BIGINT NOT NULL,
        marks BIGINT NOT NULL,
        PRIMARY KEY (node_id, bucket_at)
      );
    `,
  },
  {
    version: 6,
    name: 'per-GPU history: 1-minute buckets and how far they are built',
    // As SQLite's telemetry migration 7.
    sql: `
      CREATE INDEX gpu_history_minute_at ON gpu_history (bucket_at) WHERE span_min = 1;
      CREATE TABLE gpu_history_minute_state (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        settled_at BIGINT NOT NULL,
        built_at BIGINT NOT NULL
      );
    `,
  },
]
