/** Rounds to `digits` decimals (for ratios and hours, never for money). */
export function roundTo (value: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}

/** Cents (fractional while metering) → dollars rounded to the cent, the wire's money unit. */
export function roundCents (cents: number): number {
  return Math.round(cents) / 100
}
