import type { PgMigration } from './apply-pg-migrations.ts'

/** sqlite-slurm-migrations.ts on PostgreSQL. */
export const PG_SLURM_MIGRATIONS: PgMigration[] = [{
  version: 1,
  name: 'slurm accounting: jobs and steps keyed by (cluster, job id, step), import state',
  sql: `
    CREATE TABLE slurm_jobs (
      cluster TEXT NOT NULL,
      job_id BIGINT NOT NULL CHECK (job_id >= 0),
      step TEXT NOT NULL,
      name TEXT NOT NULL,
      user_name TEXT,
      account TEXT,
      partition TEXT,
      state TEXT NOT NULL,
      submitted_at BIGINT,
      started_at BIGINT,
      ended_at BIGINT,
      gpus INTEGER NOT NULL CHECK (gpus >= 0),
      final BOOLEAN NOT NULL,
      observed_at BIGINT NOT NULL,
      PRIMARY KEY (cluster, job_id, step)
    );
    CREATE INDEX slurm_jobs_open ON slurm_jobs (final, step);
    CREATE INDEX slurm_jobs_start ON slurm_jobs (step, started_at);
    CREATE TABLE slurm_import_state (
      source TEXT PRIMARY KEY,
      cursor_at BIGINT,
      last_attempt_at BIGINT,
      last_success_at BIGINT,
      last_error TEXT,
      last_imported INTEGER NOT NULL DEFAULT 0
    );
  `,
}]
