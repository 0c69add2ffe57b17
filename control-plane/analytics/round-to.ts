/** Rounds to `digits` decimals (for ratios and hours, never for money: see billing/money.ts). */
export function roundTo (value: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}
