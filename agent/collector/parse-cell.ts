/** A parsed CSV cell, or why it did not parse (the whole line is then skipped). */
export type Cell<T> = { ok: true, value: T } | { ok: false, reason: string }

/**
 * What nvidia-smi prints instead of a value: any bracketed token (`[N/A]`, `[Not Supported]`,
 * `[Requested functionality has been deprecated]`, `[Unknown Error]`, `[GPU requires reset]`),
 * a bare `N/A` (fabric.*, some -q fields) or nothing at all (platform.chassis_serial_number).
 */
export function isUnavailable (raw: string): boolean {
  return raw === '' || raw === 'N/A' || (raw.startsWith('[') && raw.endsWith(']'))
}

// What nvidia-smi prints where a GPU simply has no such reading (the captures show these).
const NOT_APPLICABLE = new Set(['', 'N/A', '[N/A]', '[Not Supported]', '[Requested functionality has been deprecated]'])

/**
 * Why a printed value is a fault rather than "no such reading", or null when it is not one:
 * any bracketed token other than the not-applicable ones (`[GPU requires reset]`,
 * `[Unknown Error]`, `[GPU is lost]`, `[Insufficient Permissions]`) names an NVML error.
 */
export function faultToken (raw: string): string | null {
  if (NOT_APPLICABLE.has(raw)) return null
  return raw.startsWith('[') && raw.endsWith(']') ? raw.slice(1, -1) : null
}

// Units nvidia-smi appends without `nounits`; the parser accepts both forms so it reads the
// captures as printed.
const NUMBER = /^(-?\d+(?:\.\d+)?)(?: (?:MiB|KiB|GiB|W|%|MHz|C|us|ms))?$/

/** A number, or null when unavailable, never 0 for a missing reading; anything else fails. */
export function parseNumberCell (raw: string): Cell<number | null> {
  if (isUnavailable(raw)) return { ok: true, value: null }
  const m = NUMBER.exec(raw)
  if (!m) return { ok: false, reason: `not a number: ${JSON.stringify(raw)}` }
  return { ok: true, value: Number(m[1]) }
}

/** Free text such as a GPU name, null when unavailable. */
export function parseTextCell (raw: string): Cell<string | null> {
  return { ok: true, value: isUnavailable(raw) ? null : raw }
}

/** Text that must match `pattern` when present (uuid, bus id, pstate), so garbage fails. */
export function parseShapedCell (raw: string, pattern: RegExp, what: string): Cell<string | null> {
  if (isUnavailable(raw)) return { ok: true, value: null }
  return pattern.test(raw) ? { ok: true, value: raw } : { ok: false, reason: `not a ${what}: ${JSON.stringify(raw)}` }
}

/** `Yes`/`No` (remapped_rows.pending, .failure), null when unavailable; anything else fails. */
export function parseYesNoCell (raw: string): Cell<boolean | null> {
  if (isUnavailable(raw)) return { ok: true, value: null }
  if (raw === 'Yes') return { ok: true, value: true }
  if (raw === 'No') return { ok: true, value: false }
  return { ok: false, reason: `not Yes or No: ${JSON.stringify(raw)}` }
}

/**
 * A 64-bit hex mask (`0x0000000000000004`, clocks_event_reasons.active). NVML's reason bits
 * all sit far below 2^53, so the mask is exact as a number; a mask with higher bits set
 * (a future reason) is still read exactly up to 2^53 and fails beyond, rather than rounding.
 */
export function parseHexMaskCell (raw: string): Cell<number | null> {
  if (isUnavailable(raw)) return { ok: true, value: null }
  if (!/^0x[0-9a-fA-F]{1,16}$/.test(raw)) return { ok: false, reason: `not a hex mask: ${JSON.stringify(raw)}` }
  const value = BigInt(raw)
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, reason: `mask beyond 2^53: ${raw}` }
  return { ok: true, value: Number(value) }
}
