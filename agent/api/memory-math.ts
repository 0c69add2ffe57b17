/**
 * Seed 004's memory arithmetic: GB are GiB computed from nvidia-smi's MiB (81920 MiB → 80.0),
 * and GB and percentages carry one decimal. Null in (not available) stays null out, never 0.
 */
export function mibToGb (mib: number | null): number | null {
  return mib === null ? null : round1(mib / 1024)
}

export function percentOf (part: number | null, whole: number | null): number | null {
  if (part === null || whole === null || whole <= 0) return null
  return round1(part / whole * 100)
}

function round1 (value: number): number {
  return Math.round(value * 10) / 10
}
