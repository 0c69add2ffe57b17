/** Timing helpers the benches share, so their figures are computed one way. */

/** Runs `fn` `n` times one after another; the durations in ms, sorted ascending. */
export async function time (fn: () => unknown, n: number): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    await fn()
    out.push(performance.now() - t0)
  }
  return out.sort((a, b) => a - b)
}

/** The value at fraction `p` (0–1) of sorted durations: index ⌊p·n⌋, capped at the last. */
export const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!

/** The nearest-rank `p`th percentile (0–100) of unsorted values; NaN for none. */
export const percentile = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil(p / 100 * xs.length) - 1)] ?? NaN

/** Milliseconds as printed: two decimals under 10 ms, one above. */
export const ms = (x: number): string => (x < 10 ? x.toFixed(2) : x.toFixed(1))
