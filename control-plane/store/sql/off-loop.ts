import type { SqlQuery } from '../sql-db.ts'

/**
 * A read that runs off the event loop: on SQLite, its reader thread (open-sqlite-reader.ts),
 * since node:sqlite runs a statement synchronously on the thread that calls it. For the reads
 * whose size grows with the fleet; PostgreSQL's driver is asynchronous and needs none.
 */
export type OffLoopRead = <R>(sql: string, args: unknown[]) => Promise<R[]>

/** The same read on `db` itself (where no reader thread is given). */
export const onConnection = (db: SqlQuery): OffLoopRead => (sql, args) => db.all(sql, ...args)

/** Resolves in a later turn of the event loop (after the I/O waiting now). */
export const nextTurn = (): Promise<void> => new Promise(resolve => setImmediate(resolve))

/** `fn` over `items` in runs of `perTurn`, the event loop free between them. */
export async function mapInTurns<T, U> (items: readonly T[], fn: (item: T) => U, perTurn = 2000): Promise<U[]> {
  const out: U[] = []
  for (let at = 0; at < items.length; at += perTurn) {
    if (at > 0) await nextTurn()
    for (let i = at; i < Math.min(items.length, at + perTurn); i++) out.push(fn(items[i]!))
  }
  return out
}
