/** Display formatting for console pages (the wire stays raw; people read these). */
export const dash = '—'

// One formatter per precision: Number#toLocaleString builds a new Intl.NumberFormat on every
// call (~0.1 ms), which made an 800-GPU fleet page spend 400 ms formatting numbers.
const formatters = new Map<number, Intl.NumberFormat>()

export function num (v: number | null | undefined, digits = 0): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return dash
  let f = formatters.get(digits)
  if (f === undefined) {
    f = new Intl.NumberFormat('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    formatters.set(digits, f)
  }
  return f.format(v)
}

export function pct (v: number | null | undefined): string {
  return v === null || v === undefined ? dash : `${num(v)} %`
}

export function usd (v: number | null | undefined): string {
  return v === null || v === undefined ? dash : `$${num(v, 2)}`
}

/** ISO 8601 → "2026-05-09 00:30:00 UTC" (the console shows UTC; the wire is ISO). */
export function when (iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return dash
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`
}

export function gb (mb: number | null | undefined): string {
  return mb === null || mb === undefined ? dash : num(mb / 1024, 0)
}
