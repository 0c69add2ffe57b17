/**
 * What gpufleet needs of a VictoriaMetrics' flags (docs/victoriametrics.md), from its /flags
 * page (`-name="value"` lines): the problems, as sentences for an operator; none when fine.
 * `-retentionPeriod` lives on vmstorage, so a vmselect's page lacks it: only a value present
 * is judged.
 */
export function vmFlagProblems (flagsPage: string): string[] {
  const flags = new Map<string, string>()
  for (const line of flagsPage.split('\n')) {
    const m = /^-([\w.]+)="(.*)"$/.exec(line.trim())
    if (m !== null) flags.set(m[1]!, m[2]!)
  }
  const problems: string[] = []
  const dedup = flags.get('dedup.minScrapeInterval')
  if (dedup !== '1ms') {
    problems.push(`-dedup.minScrapeInterval is ${dedup === undefined || dedup === '' || dedup === '0s' ? 'off' : dedup}, not 1ms: ` +
      'replayed rows would count twice (off), or ticks closer than it would be merged')
  }
  const retention = flags.get('retentionPeriod')
  const days = retention === undefined ? null : retentionDays(retention)
  if (days !== null && days < 31) problems.push(`-retentionPeriod is ${retention}: power history reads up to 30 days of samples (set 31d or more)`)
  return problems
}

const DAYS: Record<string, number> = { h: 1 / 24, d: 1, w: 7, y: 365 }

/** VictoriaMetrics' retention: a bare number is months; else h, d, w or y. Null when unreadable. */
function retentionDays (value: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([hdwy])?$/.exec(value.trim())
  if (m === null) return null
  return Number(m[1]) * (m[2] === undefined ? 31 : DAYS[m[2]]!)
}
