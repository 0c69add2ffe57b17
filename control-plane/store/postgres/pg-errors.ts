/** SQLSTATE 23505: a unique constraint refused the row. */
export function isUniqueViolation (err: unknown): boolean {
  return (err as { code?: unknown }).code === '23505'
}
