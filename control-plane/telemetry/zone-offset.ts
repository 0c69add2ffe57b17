const formatters = new Map<string, Intl.DateTimeFormat>()
const OFFSET = /^GMT(?:([+-])(\d{1,2})(?::(\d{2}))?(?::\d{2})?)?$/

function formatterFor (timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
    // Bounded: only zones that passed isTimeZone get here, and there are ~600 of them.
    formatters.set(timeZone, f)
  }
  return f
}

/** True for an IANA zone name (or alias such as `UTC`) that this runtime's ICU knows. */
export function isTimeZone (name: string): boolean {
  if (name.length === 0 || name.length > 64 || !/^[A-Za-z0-9_+\-/]+$/.test(name)) return false
  try {
    formatterFor(name)
    return true
  } catch {
    return false
  }
}

/**
 * The zone's UTC offset in whole minutes at instant `ms` (east positive). Historic offsets
 * with seconds (local mean time before ~1900) are truncated to the minute.
 */
export function zoneOffset (timeZone: string, ms: number): number {
  if (timeZone === 'UTC') return 0
  const name = formatterFor(timeZone).formatToParts(ms).find(p => p.type === 'timeZoneName')?.value ?? 'GMT'
  const m = OFFSET.exec(name)
  if (m === null) throw new RangeError(`unexpected offset ${name} for ${timeZone}`)
  if (m[1] === undefined) return 0
  const minutes = Number(m[2]) * 60 + Number(m[3] ?? 0)
  return m[1] === '-' ? -minutes : minutes
}
