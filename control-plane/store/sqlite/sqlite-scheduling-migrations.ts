import type { Migration } from './apply-migrations.ts'

/**
 * Tables several domains read, fixed here as a contract so tenants/jobs (scheduler), billing,
 * alerts, dashboards and analytics can be built in parallel. Owners: 'tenants' and 'jobs'
 * belong to the scheduling domain, 'rates' to billing; each owner may add columns and
 * indexes in later versions of its own domain, never rename. See control-plane/store/README.md.
 */
export const TENANT_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'tenants',
    sql: `
      CREATE TABLE tenants (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        plan_tier TEXT NOT NULL DEFAULT 'starter' CHECK (plan_tier IN ('starter', 'pro', 'growth', 'enterprise')),
        gpu_quota INTEGER NOT NULL CHECK (gpu_quota >= 1),
        contact_email TEXT,
        status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `,
  },
]

export const JOB_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'jobs, GPU assignments, job events, scheduler cycles',
    sql: `
      CREATE TABLE jobs (
        id INTEGER PRIMARY KEY,
        cluster_id INTEGER NOT NULL REFERENCES clusters(id),
        -- Nulled (not cascaded) when the tenant is deleted: usage history stays.
        tenant_id INTEGER REFERENCES tenants(id),
        name TEXT NOT NULL,
        kind TEXT NOT NULL DEFAULT 'compute' CHECK (kind IN ('training', 'benchmark', 'compute', 'inference', 'endpoint')),
        gpu_count INTEGER NOT NULL DEFAULT 1 CHECK (gpu_count >= 1),
        gpu_type TEXT,
        priority INTEGER NOT NULL DEFAULT 5,
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled', 'blocked')),
        -- Seed 003's human-readable reason.
        block_reason TEXT,
        -- Typed (Slurm-like) reason a job is not running: QUOTA, CAPACITY, PRIORITY,
        -- NEVER_FITS_QUOTA, NEVER_FITS_CLUSTER, OPERATOR_HOLD; null while running or ended.
        pending_reason TEXT,
        submitted_by TEXT,
        estimated_duration_min INTEGER,
        submitted_at INTEGER NOT NULL,
        started_at INTEGER,
        ended_at INTEGER,
        node_id INTEGER REFERENCES nodes(id)
      );
      CREATE INDEX jobs_status_priority ON jobs (status, priority, submitted_at);
      CREATE INDEX jobs_tenant ON jobs (tenant_id, status);
      CREATE INDEX jobs_cluster ON jobs (cluster_id, status);
      CREATE INDEX jobs_kind_time ON jobs (kind, submitted_at);

      -- One row per GPU a job held. Metering is exact across restarts because it is
      -- (COALESCE(released_at, now) - assigned_at) over these rows; gpu_model is copied at
      -- assignment so the rate applies to what actually ran.
      CREATE TABLE job_gpus (
        job_id INTEGER NOT NULL REFERENCES jobs(id),
        gpu_id INTEGER NOT NULL REFERENCES gpus(id),
        gpu_model TEXT,
        assigned_at INTEGER NOT NULL,
        released_at INTEGER,
        PRIMARY KEY (job_id, gpu_id)
      );
      -- A GPU is held by at most one running job: enforced by the database, not only the scheduler.
      CREATE UNIQUE INDEX job_gpus_one_holder ON job_gpus (gpu_id) WHERE released_at IS NULL;
      CREATE INDEX job_gpus_time ON job_gpus (assigned_at, released_at);

      -- Durable lifecycle events (analytics' worker timeline reads them): submitted, started,
      -- gpu_assigned, gpu_released, ended, blocked, unblocked, held, released.
      CREATE TABLE job_events (
        id INTEGER PRIMARY KEY,
        job_id INTEGER NOT NULL,
        kind TEXT NOT NULL,
        at INTEGER NOT NULL,
        gpu_id INTEGER,
        node_id INTEGER,
        detail TEXT
      );
      CREATE INDEX job_events_at ON job_events (at, id);

      CREATE TABLE scheduler_cycles (
        id INTEGER PRIMARY KEY,
        started_at INTEGER NOT NULL,
        duration_ms REAL NOT NULL,
        trigger TEXT NOT NULL,
        processed INTEGER NOT NULL,
        started INTEGER NOT NULL,
        blocked INTEGER NOT NULL,
        -- JSON: per-job decisions of this cycle (what started, what waits and why).
        detail TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'job lookups: events per job, 24 h wait and throughput windows',
    sql: `
      CREATE INDEX job_events_job ON job_events (job_id, id);
      CREATE INDEX jobs_started_at ON jobs (started_at) WHERE started_at IS NOT NULL;
      CREATE INDEX jobs_ended_at ON jobs (ended_at) WHERE ended_at IS NOT NULL;
      CREATE INDEX jobs_submitted_at ON jobs (submitted_at);
    `,
  },
  {
    version: 3,
    name: 'the scheduler\'s queue order',
    sql: `
      -- The scheduler's snapshot in its own order, without a sort; only waiting jobs, so it stays small.
      CREATE INDEX jobs_waiting_order ON jobs (priority, submitted_at, id) WHERE status IN ('queued', 'blocked');
    `,
  },
  {
    version: 4,
    name: 'node lifecycle: jobs.requeue and end_reason; job_gpus outlive a deleted node\'s GPUs',
    rebuildsTable: true,
    // requeue: a job whose node dies goes back to the queue instead of failing (end_reason
    // NODE_FAIL); it may later hold the same GPU again, so assigned_at joins the key. job_gpus
    // loses its foreign key to gpus (SQLite: a rebuild): metering reads these rows alone, so
    // usage stays billable after DELETE /api/nodes/:id removes the GPUs.
    sql: `
      ALTER TABLE jobs ADD COLUMN requeue INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE jobs ADD COLUMN end_reason TEXT;
      CREATE TABLE job_gpus_v2 (
        job_id INTEGER NOT NULL REFERENCES jobs(id),
        gpu_id INTEGER NOT NULL,
        gpu_model TEXT,
        assigned_at INTEGER NOT NULL,
        released_at INTEGER,
        PRIMARY KEY (job_id, gpu_id, assigned_at)
      );
      INSERT INTO job_gpus_v2 (job_id, gpu_id, gpu_model, assigned_at, released_at)
        SELECT job_id, gpu_id, gpu_model, assigned_at, released_at FROM job_gpus;
      DROP TABLE job_gpus;
      ALTER TABLE job_gpus_v2 RENAME TO job_gpus;
      CREATE UNIQUE INDEX job_gpus_one_holder ON job_gpus (gpu_id) WHERE released_at IS NULL;
      CREATE INDEX job_gpus_time ON job_gpus (assigned_at, released_at);
    `,
  },
  {
    version: 5,
    name: 'time limits: time_limit_min',
    sql: `
      -- Minutes a job may run (null: no limit); past it the scheduler ends it as failed, TIMEOUT.
      ALTER TABLE jobs ADD COLUMN time_limit_min INTEGER CHECK (time_limit_min IS NULL OR time_limit_min >= 1);
      -- The overdue-job read: only running jobs with a limit, a small set.
      CREATE INDEX jobs_running_limited ON jobs (started_at) WHERE status = 'running' AND time_limit_min IS NOT NULL;
    `,
  },  {
    version: 8,
    name: 'GPU processes attributed to jobs: each node\'s latest process report',
    sql: `
      -- When each node last reported its GPU processes (control plane time): older than 2 min is stale.
      CREATE TABLE node_process_reports (
        node_id INTEGER PRIMARY KEY REFERENCES nodes(id) ON DELETE CASCADE,
        reported_at INTEGER NOT NULL
      );
      -- The node's latest set, replaced per report; seen_at (first seen) and flagged_since
      -- (first judged unallocated or outside its allocation) survive while the process stays.
      CREATE TABLE node_processes (
        node_id INTEGER NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
        gpu_uuid TEXT NOT NULL,
        pid INTEGER NOT NULL,
        process_name TEXT NOT NULL,
        used_memory_mib INTEGER,
        reported_job_id INTEGER,
        reported_run INTEGER,
        gpu_id INTEGER,
        job_id INTEGER,
        verdict TEXT NOT NULL CHECK (verdict IN ('attributed', 'unallocated', 'outside_allocation')),
        seen_at INTEGER NOT NULL,
        flagged_since INTEGER,
        PRIMARY KEY (node_id, gpu_uuid, pid)
      );
      CREATE INDEX node_processes_job ON node_processes (job_id) WHERE job_id IS NOT NULL;
      CREATE INDEX node_processes_flagged ON node_processes (verdict) WHERE verdict <> 'attributed';
    `,
  },
  {
    version: 6,
    name: 'executed jobs: command, env, workdir, pid, exit_code, exit_signal',
    sql: `
      -- command (JSON argv) set: the node's agent runs the job; null: an allocation (seed 003).
      -- env is a JSON object of strings. pid is the current run's (cleared on a requeue);
      -- exit_code/exit_signal are the last run's, as its agent reported them.
      ALTER TABLE jobs ADD COLUMN command TEXT;
      ALTER TABLE jobs ADD COLUMN env TEXT;
      ALTER TABLE jobs ADD COLUMN workdir TEXT;
      ALTER TABLE jobs ADD COLUMN pid INTEGER;
      ALTER TABLE jobs ADD COLUMN exit_code INTEGER;
      ALTER TABLE jobs ADD COLUMN exit_signal TEXT;
      -- A node's assignment set (long-polled by its agent about once a second while it waits).
      CREATE INDEX jobs_running_node ON jobs (node_id) WHERE status = 'running';
    `,
  },
  {
    version: 7,
    name: 'executed jobs\' logs: job_log_runs, job_log_chunks',
    sql: `
      -- One row per job and run (run: the job's started_at in epoch ms). held_bytes: every byte
      -- received, the next offset; dropped_bytes: the head retention dropped, so offsets stay absolute.
      CREATE TABLE job_log_runs (
        job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        run INTEGER NOT NULL,
        held_bytes INTEGER NOT NULL DEFAULT 0,
        dropped_bytes INTEGER NOT NULL DEFAULT 0,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (job_id, run)
      );
      -- Contiguous pieces of a run's log; small uploads are merged into the newest piece.
      CREATE TABLE job_log_chunks (
        job_id INTEGER NOT NULL,
        run INTEGER NOT NULL,
        byte_offset INTEGER NOT NULL,
        size INTEGER NOT NULL,
        bytes BLOB NOT NULL,
        PRIMARY KEY (job_id, run, byte_offset),
        FOREIGN KEY (job_id, run) REFERENCES job_log_runs (job_id, run) ON DELETE CASCADE
      );
    `,
  },
]

export const BILLING_MIGRATIONS_V1: Migration = {
  version: 1,
  name: 'rate card, invoices',
  sql: `
    -- $/GPU-hour as integer cents. gpu_type is matched against GPU model names (see
    -- control-plane/billing/match-rate.ts). Seed 003's card plus B200.
    CREATE TABLE rates (
      gpu_type TEXT PRIMARY KEY,
      cents_per_gpu_hour INTEGER NOT NULL CHECK (cents_per_gpu_hour >= 0),
      updated_at INTEGER NOT NULL
    );
    INSERT INTO rates (gpu_type, cents_per_gpu_hour, updated_at) VALUES
      ('H100', 476, 0), ('A100', 221, 0), ('A6000', 128, 0), ('B200', 599, 0);

    -- One invoice per tenant and billing period; amounts in integer cents.
    CREATE TABLE invoices (
      id INTEGER PRIMARY KEY,
      tenant_id INTEGER REFERENCES tenants(id),
      period_start INTEGER NOT NULL,
      period_end INTEGER NOT NULL,
      days INTEGER NOT NULL,
      total_gpu_seconds INTEGER NOT NULL,
      amount_cents INTEGER NOT NULL,
      currency TEXT NOT NULL DEFAULT 'usd',
      status TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'overdue')),
      -- JSON lines: [{gpu_type, gpu_seconds, cents_per_gpu_hour, amount_cents}]
      line_items TEXT NOT NULL,
      payment_provider TEXT,
      payment_link_id TEXT,
      stripe_payment_url TEXT,
      created_at INTEGER NOT NULL,
      status_changed_at INTEGER
    );
    -- Idempotency: at most one pending invoice per tenant and period.
    CREATE UNIQUE INDEX invoices_pending_period ON invoices (tenant_id, period_start, period_end) WHERE status = 'pending';
    CREATE INDEX invoices_tenant ON invoices (tenant_id, created_at);
  `,
}
