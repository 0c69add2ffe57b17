import type { SqlDialect } from '../sql-dialect.ts'

const sqlstate = (err: unknown): unknown => (err as { code?: unknown } | null)?.code

export const pgDialect: SqlDialect = {
  engine: 'postgres',
  inList: (column, type) => `${column} = ANY(?::${type}[])`,
  greatest: (...exprs) => `GREATEST(${exprs.join(', ')})`,
  least: (...exprs) => `LEAST(${exprs.join(', ')})`,
  forUpdate: ' FOR UPDATE',
  // SQLSTATE 23505 unique_violation, 23503 foreign_key_violation.
  isUniqueViolation: err => sqlstate(err) === '23505',
  isForeignKeyViolation: err => sqlstate(err) === '23503',
  jsonArrayHas: column => `${column} @> jsonb_build_array(CAST(? AS text))`,
  verbatimText: text => Buffer.from(text, 'utf8'),
}
