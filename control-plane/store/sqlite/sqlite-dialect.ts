import type { SqlDialect } from '../sql-dialect.ts'

// node:sqlite errors carry SQLite's extended result code as `errcode`.
const SQLITE_CONSTRAINT_FOREIGNKEY = 787
const SQLITE_CONSTRAINT_PRIMARYKEY = 1555
const SQLITE_CONSTRAINT_UNIQUE = 2067
const errcode = (err: unknown): unknown => (err as { errcode?: unknown } | null)?.errcode

export const sqliteDialect: SqlDialect = {
  engine: 'sqlite',
  inList: column => `${column} IN (SELECT value FROM json_each(?))`,
  greatest: (...exprs) => `MAX(${exprs.join(', ')})`,
  least: (...exprs) => `MIN(${exprs.join(', ')})`,
  forUpdate: '',
  isUniqueViolation: err => errcode(err) === SQLITE_CONSTRAINT_UNIQUE || errcode(err) === SQLITE_CONSTRAINT_PRIMARYKEY,
  isForeignKeyViolation: err => errcode(err) === SQLITE_CONSTRAINT_FOREIGNKEY,
  jsonArrayHas: column => `EXISTS (SELECT 1 FROM json_each(${column}) WHERE value = ?)`,
  verbatimText: text => text,
}
