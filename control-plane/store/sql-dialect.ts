/** What the two engines spell differently; everything else in the store's SQL is shared. */
export interface SqlDialect {
  readonly engine: 'sqlite' | 'postgres'
  /**
   * `column` is one of a list bound as ONE parameter (pass the array itself as the argument):
   * `= ANY(?::bigint[])` on PostgreSQL, `IN (SELECT value FROM json_each(?))` on SQLite.
   */
  inList: (column: string, type: 'bigint' | 'text') => string
  /** Largest / smallest of the expressions (GREATEST/LEAST; SQLite's scalar MAX/MIN). */
  greatest: (...exprs: string[]) => string
  least: (...exprs: string[]) => string
  /** Appended to a SELECT that must lock its rows until the transaction ends ('' on SQLite). */
  readonly forUpdate: string
  /** A unique or primary-key constraint refused the row. */
  isUniqueViolation: (err: unknown) => boolean
  /** A foreign key refused the change (e.g. a row still referenced). */
  isForeignKeyViolation: (err: unknown) => boolean
  /** `column` (a JSON array) holds the text bound to the one `?` it contains. */
  jsonArrayHas: (column: string) => string
  /**
   * The value to bind for a text stored verbatim, NUL included: its UTF-8 bytes for
   * PostgreSQL's BYTEA (its TEXT cannot hold NUL), the string itself on SQLite. Read back, the
   * column is a string on SQLite and a Buffer on PostgreSQL.
   */
  verbatimText: (text: string) => unknown
}
