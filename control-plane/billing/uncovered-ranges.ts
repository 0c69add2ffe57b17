/** A half-open time range [start, end), UTC epoch ms. */
export interface Range {
  start: number
  end: number
}

/**
 * The parts of `period` that none of `covered` holds, oldest first. An invoice bills these:
 * GPU time in a range an earlier invoice of the tenant covers is billed already.
 */
export function uncoveredRanges (period: Range, covered: readonly Range[]): Range[] {
  const out: Range[] = []
  let from = period.start
  for (const c of [...covered].sort((a, b) => a.start - b.start)) {
    if (c.end <= from) continue
    if (c.start >= period.end) break
    if (c.start > from) out.push({ start: from, end: c.start })
    from = Math.max(from, c.end)
    if (from >= period.end) break
  }
  if (from < period.end) out.push({ start: from, end: period.end })
  return out
}
