import type { Migration } from './apply-migrations.ts'

export const SLURM_MIGRATIONS: Migration[] = [{
  version: 1,
  name: 'slurm accounting: jobs and steps keyed by (cluster, job id, step), import state',
  // step '' is the job's allocation (what counts and GPU-hours read); steps are kept beside it.
  sql: `
    CREATE TABLE slurm_jobs (
      cluster TEXT NOT NULL,
      job_id INTEGER NOT NULL CHECK (job_id >= 0),
      step TEXT NOT NULL,
      name TEXT NOT NULL,
      user_name TEXT,
      account TEXT,
      partition TEXT,
      state TEXT NOT NULL,
      submitted_at INTEGER,
      started_at INTEGER,
      ended_at INTEGER,
      gpus INTEGER NOT NULL CHECK (gpus >= 0),
      final INTEGER NOT NULL CHECK (final IN (0, 1)),
      observed_at INTEGER NOT NULL,
      PRIMARY KEY (cluster, job_id, step)
    );
    CREATE INDEX slurm_jobs_open ON slurm_jobs (final, step);
    CREATE INDEX slurm_jobs_start ON slurm_jobs (step, started_at);
    CREATE TABLE slurm_import_state (
      source TEXT PRIMARY KEY,
      cursor_at INTEGER,
      last_attempt_at INTEGER,
      last_success_at INTEGER,
      last_error TEXT,
      last_imported INTEGER NOT NULL DEFAULT 0
    );
  `,
}]
