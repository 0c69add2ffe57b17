/** `--format=csv[,noheader][,nounits]` */
export interface CsvFormat {
  noheader: boolean
  nounits: boolean
}

/**
 * `memory.total [MiB]`. The real CLI keeps the units in the header even with `nounits`, which
 * only strips them from the values (`--format=csv,nounits` prints `power.draw [W]` over `228.82`).
 */
export function renderHeader (fields: readonly string[], units: ReadonlyMap<string, string>): string {
  return fields.map(f => {
    const unit = units.get(f)
    return unit ? `${f} [${unit}]` : f
  }).join(', ')
}

/** Tokens such as `[N/A]`, a bare `N/A` and empty values never carry a unit. */
export function renderCell (text: string, unit: string | undefined, format: CsvFormat): string {
  if (format.nounits || !unit || text === '' || text === 'N/A' || text.startsWith('[')) return text
  return `${text} ${unit}`
}

/** A captured value without its unit suffix (`0 us` → `0`, `[N/A]` stays). */
export function stripUnit (sample: string, unit: string | undefined): string {
  return unit && sample.endsWith(` ${unit}`) ? sample.slice(0, -unit.length - 1) : sample
}
