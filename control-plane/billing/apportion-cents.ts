/**
 * Splits `totalCents` over parts in proportion to `weights` (GPU-ms) by largest remainder:
 * each part gets the floor of its exact share, and the cents left over go one each to the
 * parts with the largest remainders (ties: the earlier part). The parts always sum to the
 * total and each is within one cent of its exact share, so a line's by-day and by-job
 * breakdowns add up to the line exactly. All-zero weights give all-zero parts.
 */
export function apportionCents (totalCents: number, weights: readonly number[]): number[] {
  if (!Number.isSafeInteger(totalCents) || totalCents < 0) throw new RangeError(`apportionCents: totalCents must be a non-negative integer, got ${totalCents}`)
  const w = weights.map(x => {
    if (!Number.isSafeInteger(x) || x < 0) throw new RangeError(`apportionCents: weights must be non-negative integers, got ${x}`)
    return BigInt(x)
  })
  const sum = w.reduce((a, b) => a + b, 0n)
  if (sum === 0n) return weights.map(() => 0)
  const total = BigInt(totalCents)
  const floors = w.map(x => (total * x) / sum)
  const remainders = w.map(x => (total * x) % sum)
  let left = Number(total - floors.reduce((a, b) => a + b, 0n))
  const order = remainders.map((r, i) => ({ r, i })).sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1))
  const parts = floors.map(Number)
  for (const { i } of order) {
    if (left === 0) break
    parts[i] = (parts[i] ?? 0) + 1
    left--
  }
  return parts
}
