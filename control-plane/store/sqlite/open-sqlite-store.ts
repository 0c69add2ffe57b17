import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Store } from '../store.ts'
import { openSqliteDb, type SqliteDb } from './sqlite-db.ts'
import { cacheActiveKeys } from '../cache-active-keys.ts'
import { createSqlApiKeyRepository } from '../sql/sql-api-key-repository.ts'
import { createSqlFleetRepository } from '../sql/sql-fleet-repository.ts'
import { createSqliteTelemetryRepository } from './sqlite-telemetry-repository.ts'
import { createSqlGpuHistoryRepository } from '../sql/sql-gpu-history-repository.ts'
import { SQLITE_NODE_ROWS_SQL } from './sqlite-gpu-head.ts'
import { createSqlTenantRepository } from '../sql/sql-tenant-repository.ts'
import { sqliteSqlDb } from './sqlite-sql-db.ts'
import { migrateSqliteStore } from './migrate-sqlite-store.ts'
import { createSqlJobRepository } from '../sql/sql-job-repository.ts'
import { sqliteJobHotPaths } from './sqlite-job-hot-paths.ts'
import { createSqlBillingRepository } from '../sql/sql-billing-repository.ts'
import { createSqlAlertRepository } from '../sql/sql-alert-repository.ts'
import { createSqlDashboardRepository } from '../sql/sql-dashboard-repository.ts'
import { SQLITE_UTILIZATION_SQL } from './sqlite-utilization-sql.ts'
import { createSqlAnalyticsRepository } from '../sql/sql-analytics-repository.ts'
import { createSqlSessionRepository } from '../sql/sql-session-repository.ts'
import { createSqlOperatorKeyRepository } from '../sql/sql-operator-key-repository.ts'
import { createSqlJobLogRepository } from '../sql/sql-job-log-repository.ts'
import { createSqlProcessRepository } from '../sql/sql-process-repository.ts'
import { createSqlSlurmRepository } from '../sql/sql-slurm-repository.ts'
import { openCheckpointWorker, type CheckpointResult } from './open-checkpoint-worker.ts'
import { startSqliteCheckpointer } from './start-sqlite-checkpointer.ts'
import { openTelemetryWriter, type TelemetryWriter } from './open-telemetry-writer.ts'
import { createWriteGate } from './sqlite-write-gate.ts'
import { openSqliteReader, type SqliteReader } from './open-sqlite-reader.ts'

export interface SqliteStoreOptions {
  /**
   * Where WAL checkpoints run for a file database: 'thread' (default) on a worker thread with
   * its own connection, every 100 ms; 'inline' as SQLite does by default, in the commit
   * that grows the WAL past 1,000 pages, on the event loop. (bench/ingest.ts compares them.)
   * 'off': none until close, so a benchmark can count the WAL pages its commits write.
   */
  checkpoint?: 'thread' | 'inline' | 'off'
  /** After each run of the checkpoint thread (metrics). */
  onCheckpoint?: (result: CheckpointResult) => void
  log?: { warn: (obj: object, msg: string) => void }
  /**
   * Where a file database's telemetry writes run: 'thread' (default) on the telemetry writer
   * thread, its own connection and the tables' one writer (open-telemetry-writer.ts);
   * 'inline' on the event loop. ':memory:' is always inline (it cannot be shared).
   */
  telemetryWriter?: 'thread' | 'inline'
  /**
   * Where a file database's reads that grow with the fleet run (the per-GPU history's minute
   * read, every GPU's state for the alerts and dashboards): 'thread' (default) on a read-only
   * connection of their own on a worker thread (open-sqlite-reader.ts); 'inline' on the event
   * loop, which they block meanwhile. ':memory:' is always inline.
   */
  fleetReads?: 'thread' | 'inline'
}

// With the checkpoint thread, the writer's own autocheckpoint is only a bound on the WAL
// (64 MiB of 4 KiB pages): the thread keeps up, so it finds little left to copy. Under
// unbroken writes the WAL can only restart after a checkpoint that saw no commit in between,
// which this bound guarantees every few seconds at full ingest.
const WRITER_AUTOCHECKPOINT_PAGES = 16_384

/** Opens (creating if needed) the SQLite store at `path` (':memory:' for tests) and migrates it. */
export async function openSqliteStore (path: string, options: SqliteStoreOptions = {}): Promise<Store> {
  const { checkpoint = 'thread', onCheckpoint, log, telemetryWriter = 'thread', fleetReads = 'thread' } = options
  if (checkpoint !== 'thread' && checkpoint !== 'inline' && checkpoint !== 'off') {
    throw new TypeError(`openSqliteStore: checkpoint must be 'thread', 'inline' or 'off', got ${String(checkpoint)}`)
  }
  if (telemetryWriter !== 'thread' && telemetryWriter !== 'inline') {
    throw new TypeError(`openSqliteStore: telemetryWriter must be 'thread' or 'inline', got ${String(telemetryWriter)}`)
  }
  if (fleetReads !== 'thread' && fleetReads !== 'inline') {
    throw new TypeError(`openSqliteStore: fleetReads must be 'thread' or 'inline', got ${String(fleetReads)}`)
  }
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const threaded = path !== ':memory:' && telemetryWriter === 'thread'
  const gate = threaded ? createWriteGate() : undefined
  const db = openSqliteDb(path, gate === undefined ? {} : { gate })
  // The writer thread starts at its first write, after the migrations below.
  const writer = !threaded
    ? null
    : openTelemetryWriter(path, {
      autocheckpointPages: checkpoint === 'off' ? 0 : checkpoint === 'thread' ? WRITER_AUTOCHECKPOINT_PAGES : null,
      ...(gate === undefined ? {} : { gate }),
      ...(log === undefined ? {} : { log }),
    })
  // Fleet-wide reads that would stop the event loop (node:sqlite is synchronous) run on a
  // read-only connection of their own, started at the first.
  const reader = path === ':memory:' || fleetReads === 'inline' ? null : openSqliteReader(path)
  const store = openRepositories(db, writer, reader)
  if (path === ':memory:' || checkpoint === 'inline') return store
  if (checkpoint === 'off') {
    db.raw.exec('PRAGMA wal_autocheckpoint = 0')
    return store
  }
  db.raw.exec(`PRAGMA wal_autocheckpoint = ${WRITER_AUTOCHECKPOINT_PAGES}`)
  const worker = openCheckpointWorker(path)
  const checkpointer = startSqliteCheckpointer({
    checkpoint: worker.checkpoint,
    ...(onCheckpoint === undefined ? {} : { onResult: onCheckpoint }),
    ...(log === undefined ? {} : { log }),
  })
  return {
    ...store,
    async close () {
      // The thread's connection goes first: the main one, closing last, checkpoints what is
      // left and removes the WAL.
      await checkpointer.stop()
      await worker.close()
      await store.close()
    },
  }
}

function openRepositories (db: SqliteDb, writer: TelemetryWriter | null, reader: SqliteReader | null): Store {
  migrateSqliteStore(db)
  const sql = sqliteSqlDb(db)
  const fleet = createSqlFleetRepository(sql)
  return {
    engine: 'sqlite',
    // Every push authenticates: verified keys are reused for 5 s, revokes here apply at once.
    apiKeys: cacheActiveKeys(createSqlApiKeyRepository(sql)),
    fleet,
    telemetry: createSqliteTelemetryRepository(db, writer ?? undefined),
    tenants: createSqlTenantRepository(sql),
    jobs: createSqlJobRepository(sql, sqliteJobHotPaths(db)),
    billing: createSqlBillingRepository(sql),
    alerts: createSqlAlertRepository(sql),
    dashboard: createSqlDashboardRepository(sql, SQLITE_UTILIZATION_SQL, reader?.rows),
    analytics: createSqlAnalyticsRepository(sql),
    sessions: createSqlSessionRepository(sql),
    operatorKeys: createSqlOperatorKeyRepository(sql),
    jobLogs: createSqlJobLogRepository(sql),
    processes: createSqlProcessRepository(sql),
    slurm: createSqlSlurmRepository(sql),
    gpuHistory: createSqlGpuHistoryRepository(sql, SQLITE_NODE_ROWS_SQL, reader?.numericRows),
    async close () {
      // The writer and the reader answer what they were asked, then their connections go
      // before the main one.
      await writer?.close()
      await reader?.close()
      db.close()
    },
  }
}
