export type Column<T> = [header: string, cell: (row: T) => unknown]

/** Left-aligned columns for people; null/undefined print as "-". */
export function formatTable<T> (rows: readonly T[], columns: ReadonlyArray<Column<T>>): string {
  const cells = rows.map(row => columns.map(([, cell]) => show(cell(row))))
  const widths = columns.map(([header], i) => Math.max(header.length, ...cells.map(r => r[i]?.length ?? 0)))
  const line = (values: string[]) => values.map((v, i) => i === values.length - 1 ? v : v.padEnd(widths[i] ?? 0)).join('  ').trimEnd()
  return [line(columns.map(([h]) => h)), ...cells.map(line)].join('\n') + '\n'
}

function show (value: unknown): string {
  if (value === null || value === undefined || value === '') return '-'
  if (Array.isArray(value)) return value.length === 0 ? '-' : value.join(',')
  return String(value)
}
