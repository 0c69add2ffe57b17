import type { Migration } from './apply-migrations.ts'
import { sqliteRebuildScript } from './sqlite-rebuild-rollups.ts'

export { SCOPE_CLUSTER, SCOPE_FLEET, SCOPE_KIND_NAMES, SCOPE_NODE } from '../telemetry-scope-kinds.ts'

/**
 * True for a node's samples in one pseudo-random second of each minute (a hash of minute and
 * node; 2654435761 is Knuth's multiplicative constant), so a periodic load cannot alias. The
 * partial index gpu_stats_pick holds only those rows, node-first; a query uses it only when
 * its WHERE has this same term (`c` prefixes the columns, e.g. 's.').
 */
export const pickSecondTerm = (c = '') =>
  `(${c}recorded_at / 1000) % 60 = (${c}recorded_at / 60000 * 2654435761 + ${c}node_id * 40503) % 60`

/**
 * Telemetry schema. Raw rows carry numeric readings only: a GPU's identity strings (name,
 * uuid, PCI bus id, hostname) live in gpu_identity, which keeps the 40k rows/s insert path
 * and the 7-day table narrow. Version 2 leads the idempotency key with recorded_at (see there).
 */
export const TELEMETRY_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'raw samples, latest per GPU, per-second sums, rollups',
    sql: `
      CREATE TABLE gpu_stats (
        id INTEGER PRIMARY KEY,
        node_id INTEGER NOT NULL,
        cluster_id INTEGER,
        gpu_id INTEGER NOT NULL,
        recorded_at INTEGER NOT NULL,
        power_draw_w REAL,
        temp_c REAL,
        memory_used_mb REAL,
        memory_total_mb REAL,
        utilization_pct REAL,
        power_draw_avg_w REAL,
        power_limit_w REAL,
        memory_temp_c REAL,
        memory_reserved_mb REAL,
        memory_utilization_pct REAL,
        sm_clock_mhz REAL,
        mem_clock_mhz REAL,
        ecc_errors_corrected INTEGER,
        ecc_errors_uncorrected INTEGER
      );
      -- Idempotency key, node-scope time ranges and retention, in one index.
      CREATE UNIQUE INDEX gpu_stats_node_time_gpu ON gpu_stats (node_id, recorded_at, gpu_id);

      -- The newest recorded_at per GPU, which names its raw row through the unique index: a
      -- narrow write per push (the readings are already in gpu_stats). A GPU whose newest
      -- sample aged out of retention drops out, as in seed 000's GET over its pruned table.
      CREATE TABLE gpu_stats_latest (
        node_id INTEGER NOT NULL,
        gpu_id INTEGER NOT NULL,
        recorded_at INTEGER NOT NULL,
        PRIMARY KEY (node_id, gpu_id)
      ) WITHOUT ROWID;

      -- Identity strings per GPU, written only when they change (newest sample wins).
      CREATE TABLE gpu_identity (
        node_id INTEGER NOT NULL,
        gpu_id INTEGER NOT NULL,
        identity_at INTEGER NOT NULL,
        cluster_id INTEGER,
        hostname TEXT,
        name TEXT NOT NULL,
        uuid TEXT,
        pci_bus_id TEXT,
        PRIMARY KEY (node_id, gpu_id)
      ) WITHOUT ROWID;
      CREATE INDEX gpu_identity_cluster ON gpu_identity (cluster_id);
      CREATE INDEX gpu_identity_hostname ON gpu_identity (hostname);

      -- Cluster and fleet per-second power sums (a node's comes from its raw rows): the
      -- running value a late row adds to, so the rollup MAX stays exact. Kept as long as raw.
      CREATE TABLE gpu_power_second (
        scope_kind INTEGER NOT NULL,
        scope_id INTEGER NOT NULL,
        second_at INTEGER NOT NULL,
        power_sum_w REAL NOT NULL,
        PRIMARY KEY (scope_kind, scope_id, second_at)
      ) WITHOUT ROWID;
      CREATE INDEX gpu_power_second_at ON gpu_power_second (second_at);

      CREATE TABLE gpu_rollup (
        scope_kind INTEGER NOT NULL,
        scope_id INTEGER NOT NULL,
        span_min INTEGER NOT NULL,
        bucket_at INTEGER NOT NULL,
        power_max_w REAL,
        power_sum_w REAL NOT NULL,
        power_n INTEGER NOT NULL,
        util_sum REAL NOT NULL,
        util_n INTEGER NOT NULL,
        util_max REAL,
        temp_sum REAL NOT NULL,
        temp_n INTEGER NOT NULL,
        samples INTEGER NOT NULL,
        PRIMARY KEY (scope_kind, scope_id, span_min, bucket_at)
      ) WITHOUT ROWID;
      CREATE INDEX gpu_rollup_at ON gpu_rollup (bucket_at);
    `,
  },
  {
    version: 2,
    name: 'raw idempotency key led by recorded_at',
    // The node-first key put every push at its own node's place in the index: each commit of
    // ~125 pushes dirtied a leaf per node and split pages without end, so the WAL written per
    // commit grew with run length (85 → 230 of ~260 pages per 1,000-row commit over 60 s).
    // Led by time, inserts append at the index's right edge (agents' samples arrive in about
    // recorded_at order) and retention is a range at its left. Same uniqueness, so the
    // rebuild cannot fail on existing rows.
    // Node-first reads that cannot become time ranges (a GPU's sample in a given minute, for
    // the 24-hour tenant means) use a partial index of one push per node-minute: 1/60 of the
    // pushes, so a commit dirties a couple of its leaves instead of one per push.
    sql: `
      DROP INDEX gpu_stats_node_time_gpu;
      CREATE UNIQUE INDEX gpu_stats_time_node_gpu ON gpu_stats (recorded_at, node_id, gpu_id);
      CREATE INDEX gpu_stats_pick ON gpu_stats (node_id, gpu_id, recorded_at, utilization_pct)
        WHERE ${pickSecondTerm()};
    `,
  },
  {
    version: 3,
    name: 'power per recorded_at: rollups and per-second sums recomputed from raw rows',
    // Earlier versions added every row of a wall-clock second, so two ticks of one node in one
    // second (sub-second intervals, jitter, replays) counted twice. What raw rows still cover is
    // recomputed: from the oldest raw row's hour when no minute rollup is older than its minute
    // (nothing pruned yet), else from the next whole hour (a partly pruned hour keeps its rows).
    // Older rollups have no raw rows left to recompute from and stay as they were.
    sql: `
      DROP TABLE IF EXISTS temp.rebuild_range;
      CREATE TEMP TABLE rebuild_range AS
      SELECT CASE WHEN (SELECT MIN(bucket_at) FROM gpu_rollup WHERE span_min = 1) >= m / 60000 * 60000
          THEN m / 3600000 * 3600000 ELSE (m + 3599999) / 3600000 * 3600000 END AS lo,
        (x / 3600000 + 1) * 3600000 AS hi
      FROM (SELECT MIN(recorded_at) AS m, MAX(recorded_at) AS x FROM gpu_stats);
      ${sqliteRebuildScript()}
    `,
  },
  {
    version: 4,
    name: 'gpu_stats.pstate',
    // The performance state as DCGM numbers it (P0 → 0 … P15 → 15); null on older rows.
    sql: 'ALTER TABLE gpu_stats ADD COLUMN pstate INTEGER;',
  },  {
    version: 5,
    name: 'compressed raw telemetry: gpu_block, gpu_power_block',
    // Settled raw rows move into one compressed block per node and 5-minute span
    // (store/gpu-block-codec.ts); a scope's per-second sums into one per scope and span.
    // Rowid tables: a block is a few KiB, too wide for a WITHOUT ROWID row. The node-first key
    // reads one node's history; the time index serves retention and the fleet-wide reads.
    sql: `
      CREATE TABLE gpu_block (
        id INTEGER PRIMARY KEY,
        node_id INTEGER NOT NULL,
        block_at INTEGER NOT NULL,
        row_count INTEGER NOT NULL,
        data BLOB NOT NULL
      );
      CREATE UNIQUE INDEX gpu_block_node_at ON gpu_block (node_id, block_at);
      CREATE INDEX gpu_block_at ON gpu_block (block_at);
      CREATE TABLE gpu_power_block (
        id INTEGER PRIMARY KEY,
        scope_kind INTEGER NOT NULL,
        scope_id INTEGER NOT NULL,
        block_at INTEGER NOT NULL,
        data BLOB NOT NULL
      );
      CREATE UNIQUE INDEX gpu_power_block_scope_at ON gpu_power_block (scope_kind, scope_id, block_at);
      CREATE INDEX gpu_power_block_at ON gpu_power_block (block_at);
    `,
  },
  {
    version: 6,
    name: 'per-GPU history rollups, their watermark and dirty buckets',
    // Built off the ingest path by the leader's history loop (control-plane/loops/): a push
    // writes nothing here. Keyed node-first for the history reads (a node's GPUs over a range);
    // bucket_at alone for retention. Sums and counts, not averages, so hours add up exactly.
    sql: `
      CREATE TABLE gpu_history (
        node_id INTEGER NOT NULL,
        span_min INTEGER NOT NULL,
        bucket_at INTEGER NOT NULL,
        gpu_id INTEGER NOT NULL,
        samples INTEGER NOT NULL,
        util_sum REAL NOT NULL,
        util_n INTEGER NOT NULL,
        util_max REAL,
        temp_sum REAL NOT NULL,
        temp_n INTEGER NOT NULL,
        temp_max REAL,
        mem_sum REAL NOT NULL,
        mem_n INTEGER NOT NULL,
        mem_max REAL,
        mem_total REAL,
        power_sum REAL NOT NULL,
        power_n INTEGER NOT NULL,
        power_max REAL,
        PRIMARY KEY (node_id, span_min, bucket_at, gpu_id)
      ) WITHOUT ROWID;
      CREATE INDEX gpu_history_at ON gpu_history (bucket_at);

      -- Raw rows before watermark_at are in gpu_history (one row: singleton = 1).
      CREATE TABLE gpu_history_state (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        watermark_at INTEGER NOT NULL
      );

      -- 5-minute buckets of a node that got rows after the watermark passed them; marks counts
      -- the marking, so a mark made while its bucket was being recomputed is not cleared.
      CREATE TABLE gpu_history_dirty (
        node_id INTEGER NOT NULL,
        bucket_at INTEGER NOT NULL,
        marks INTEGER NOT NULL,
        PRIMARY KEY (node_id, bucket_at)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 7,
    name: 'per-GPU history: 1-minute buckets and how far they are built',
    // The 1 h range reads 1-minute buckets (span_min = 1 in gpu_history, kept ~2 hours) instead
    // of the fleet's raw hour. The partial index serves their pruning only: bucket_at alone
    // would walk 90 days of 5-minute and hour buckets to find the old minutes.
    // settled_at: raw rows before it are in the minutes (later ones mark their bucket dirty);
    // built_at: minutes before it are written (those after settled_at are re-read each pass).
    sql: `
      CREATE INDEX gpu_history_minute_at ON gpu_history (bucket_at) WHERE span_min = 1;
      CREATE TABLE gpu_history_minute_state (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        settled_at INTEGER NOT NULL,
        built_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 8,
    name: 'head directory: a node\'s raw rows per minute as rowid ranges',
    // gpu_stats is keyed by time (version 2), so one GPU's hour walked the fleet's hour and a
    // compaction step the fleet's span. The rows of one push get consecutive rowids: one entry
    // per node, minute and push (~1/80 of the rows) names them (sqlite-gpu-head.ts). Led by the
    // minute, not the node: a commit's pushes land in the current minute's few leaves (not a
    // leaf per node) and retention deletes at the left edge; a node's range is a seek per minute.
    // Existing rows: each run of consecutive ids of one node and minute is an entry, its ends
    // found by a rowid lookup of each row's neighbour (two scans in rowid order and no sort of
    // the head: temp_store is MEMORY, and a large fleet's head is 10⁸ rows).
    sql: `
      CREATE TABLE gpu_stats_dir (
        minute_at INTEGER NOT NULL,
        node_id INTEGER NOT NULL,
        first_id INTEGER NOT NULL,
        last_id INTEGER NOT NULL,
        PRIMARY KEY (minute_at, node_id, first_id)
      ) WITHOUT ROWID;
      DROP TABLE IF EXISTS temp.dir_ends;
      CREATE TEMP TABLE dir_ends (id INTEGER PRIMARY KEY);
      INSERT INTO dir_ends SELECT s.id FROM gpu_stats s LEFT JOIN gpu_stats n ON n.id = s.id + 1
      WHERE n.id IS NULL OR n.node_id <> s.node_id OR n.recorded_at / 60000 <> s.recorded_at / 60000;
      INSERT INTO gpu_stats_dir (minute_at, node_id, first_id, last_id)
      SELECT s.recorded_at / 60000 * 60000, s.node_id, s.id, (SELECT MIN(e.id) FROM dir_ends e WHERE e.id >= s.id)
      FROM gpu_stats s LEFT JOIN gpu_stats p ON p.id = s.id - 1
      WHERE p.id IS NULL OR p.node_id <> s.node_id OR p.recorded_at / 60000 <> s.recorded_at / 60000;
      DROP TABLE temp.dir_ends;
    `,
  },
]
