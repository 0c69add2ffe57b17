/**
 * The field a driver rejected, from its answer to a query: `Field "x" is not a valid field to
 * query.` (stdout, exit code 2 on real drivers), or null when the failure was something else.
 */
export function parseInvalidField (output: string): string | null {
  return /Field "([^"]+)" is not a valid field to query/.exec(output)?.[1] ?? null
}
