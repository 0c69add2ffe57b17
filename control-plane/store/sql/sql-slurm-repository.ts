import type { SlurmImportState, SlurmJobRecord, SlurmRepository } from '../slurm-repository.ts'
import type { Row, SqlDb } from '../sql-db.ts'
import { numOrNull, strOrNull } from './cells.ts'

const JOB_COLUMNS = 'cluster, job_id, step, name, user_name, account, partition, state, submitted_at, started_at, ended_at, gpus, final, observed_at'

const toJob = (r: Row): SlurmJobRecord => ({
  cluster: String(r.cluster),
  jobId: Number(r.job_id),
  step: String(r.step),
  name: String(r.name),
  user: strOrNull(r.user_name),
  account: strOrNull(r.account),
  partition: strOrNull(r.partition),
  state: String(r.state),
  submittedAt: numOrNull(r.submitted_at),
  startedAt: numOrNull(r.started_at),
  endedAt: numOrNull(r.ended_at),
  gpus: Number(r.gpus),
  final: r.final === true || Number(r.final) === 1,
  observedAt: Number(r.observed_at),
})

const toState = (r: Row): SlurmImportState => ({
  source: String(r.source),
  cursorAt: numOrNull(r.cursor_at),
  lastAttemptAt: numOrNull(r.last_attempt_at),
  lastSuccessAt: numOrNull(r.last_success_at),
  lastError: strOrNull(r.last_error),
  lastImported: Number(r.last_imported ?? 0),
})

// A stored row is replaced while Slurm may still change it (not final), or by a later run of
// the same job id (a requeued job starts again); a final row is never overwritten by an older
// or equal snapshot, so a late or repeated import cannot undo an end.
const UPSERT = `INSERT INTO slurm_jobs (${JOB_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (cluster, job_id, step) DO UPDATE SET
    name = excluded.name, user_name = excluded.user_name, account = excluded.account, partition = excluded.partition,
    state = excluded.state, submitted_at = excluded.submitted_at, started_at = excluded.started_at,
    ended_at = excluded.ended_at, gpus = excluded.gpus, final = excluded.final, observed_at = excluded.observed_at
  WHERE slurm_jobs.final = ?
     OR COALESCE(excluded.started_at, excluded.submitted_at, 0) > COALESCE(slurm_jobs.started_at, slurm_jobs.submitted_at, 0)`

const STATE_COLUMNS = 'source, cursor_at, last_attempt_at, last_success_at, last_error, last_imported'

/** The Slurm plane's storage, once for both engines. */
export function createSqlSlurmRepository (db: SqlDb): SlurmRepository {
  return {
    async upsertJobs (records) {
      if (records.length === 0) return { written: 0, kept: 0 }
      const changed = await db.tx(null, q => q.runEach(UPSERT, records.map(r => [
        r.cluster, r.jobId, r.step, r.name, r.user, r.account, r.partition, r.state,
        r.submittedAt, r.startedAt, r.endedAt, r.gpus, r.final, r.observedAt, false,
      ])))
      const written = changed.reduce((a, b) => a + b, 0)
      return { written, kept: records.length - written }
    },

    async listJobs ({ since, until }) {
      const rows = await db.all(`SELECT ${JOB_COLUMNS} FROM slurm_jobs
        WHERE step = '' AND COALESCE(started_at, submitted_at, observed_at) < ?
          AND COALESCE(ended_at, observed_at) >= ?
        ORDER BY cluster, job_id`, until, since)
      return rows.map(toJob)
    },

    async listSteps (cluster, jobId) {
      const rows = await db.all(`SELECT ${JOB_COLUMNS} FROM slurm_jobs WHERE cluster = ? AND job_id = ? AND step <> '' ORDER BY step`, cluster, jobId)
      return rows.map(toJob)
    },

    async oldestOpenJob () {
      const row = await db.one('SELECT MIN(COALESCE(started_at, submitted_at, observed_at)) AS at FROM slurm_jobs WHERE final = ? AND step = \'\'', false)
      return numOrNull(row?.at)
    },

    async getImportState (source) {
      const row = await db.one(`SELECT ${STATE_COLUMNS} FROM slurm_import_state WHERE source = ?`, source)
      return row === undefined ? null : toState(row)
    },

    async latestImportState () {
      const row = await db.one(`SELECT ${STATE_COLUMNS} FROM slurm_import_state
        ORDER BY COALESCE(last_attempt_at, 0) DESC, source LIMIT 1`)
      return row === undefined ? null : toState(row)
    },

    async recordAttempt (source, at, error) {
      await db.run(`INSERT INTO slurm_import_state (source, last_attempt_at, last_error) VALUES (?, ?, ?)
        ON CONFLICT (source) DO UPDATE SET last_attempt_at = excluded.last_attempt_at, last_error = excluded.last_error`, source, at, error)
    },

    async recordSuccess (source, at, cursorAt, imported) {
      await db.run(`INSERT INTO slurm_import_state (${STATE_COLUMNS}) VALUES (?, ?, ?, ?, NULL, ?)
        ON CONFLICT (source) DO UPDATE SET cursor_at = excluded.cursor_at, last_attempt_at = excluded.last_attempt_at,
          last_success_at = excluded.last_success_at, last_error = NULL, last_imported = excluded.last_imported`,
      source, cursorAt, at, at, imported)
    },
  }
}
