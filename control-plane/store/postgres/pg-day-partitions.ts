import type { PgDb, PgQuery } from './pg-db.ts'

export const DAY_MS = 86_400_000
export const PARTITIONED_TABLES = ['gpu_stats', 'gpu_power_second', 'gpu_rollup'] as const
export type PartitionedTable = typeof PARTITIONED_TABLES[number]

const dayName = (table: string, dayAt: number) => `${table}_d${new Date(dayAt).toISOString().slice(0, 10).replaceAll('-', '')}`
const NAME = /_d(\d{4})(\d{2})(\d{2})$/

export interface DayPartitions {
  /** Creates the missing day partitions of every table for these times (cached: a known day costs nothing). */
  ensure: (times: Iterable<number>) => Promise<void>
  /** Forget what this process believes exists (another replica dropped a day). */
  forget: () => void
  /** Day partitions of `table` that end at or before `before`, oldest first. */
  droppable: (q: PgQuery, table: PartitionedTable, before: number) => Promise<Array<{ name: string, dayAt: number }>>
  /** The partition holding `at` (whether or not it exists). */
  nameOf: (table: PartitionedTable, at: number) => string
  dropped: (dayAt: number) => void
}

/**
 * Day partitions (UTC) of the telemetry tables. Creation runs in its own short transaction under
 * an advisory lock, so replicas creating the same day at once do not collide, and before the
 * ingest transaction that needs it (DDL on the parent would otherwise hold its lock until commit).
 */
export function createDayPartitions (db: PgDb): DayPartitions {
  const known = new Set<number>()
  return {
    async ensure (times) {
      const missing = new Set<number>()
      for (const t of times) {
        const day = Math.floor(t / DAY_MS) * DAY_MS
        if (!known.has(day)) missing.add(day)
      }
      if (missing.size === 0) return
      await db.tx('gpufleet:telemetry-partitions', async q => {
        for (const day of [...missing].sort((a, b) => a - b)) {
          for (const table of PARTITIONED_TABLES) {
            await q.exec(`CREATE TABLE IF NOT EXISTS ${dayName(table, day)} PARTITION OF ${table}
              FOR VALUES FROM (${day}) TO (${day + DAY_MS})`)
          }
        }
      })
      for (const day of missing) known.add(day)
    },
    forget () { known.clear() },
    async droppable (q, table, before) {
      const rows = await q.all<{ name: string }>(`SELECT c.relname AS name FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = ?::regclass`, table)
      return rows.flatMap(r => {
        const m = NAME.exec(r.name)
        if (m === null) return []
        const dayAt = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
        return dayAt + DAY_MS <= before ? [{ name: r.name, dayAt }] : []
      }).sort((a, b) => a.dayAt - b.dayAt)
    },
    nameOf: dayName,
    dropped (dayAt) { known.delete(dayAt) },
  }
}
