const formatters = new Map<string, Intl.DateTimeFormat>()
const OFFSET = /^GMT(?:([+-])(\d{1,2})(?::(\d{2}))?(?::\d{2})?)?$/

function formatterFor (timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
    formatters.set(timeZone, f)
  }
  return f
}

/**
 * The runtime's canonical name for an IANA zone (or alias: `Asia/Kolkata`, `utc`,
 * `US/Eastern`), or null when ICU does not know it. Callers compute with the canonical name
 * only, so the formatter cache above holds at most one entry per real zone (~600) however
 * many spellings clients send.
 */
export function canonicalTimeZone (name: string): string | null {
  if (name.length === 0 || name.length > 64 || !/^[A-Za-z0-9_+\-/]+$/.test(name)) return null
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone
  } catch {
    return null
  }
}

/**
 * The zone's UTC offset in whole minutes at instant `ms` (east positive); `timeZone` must be
 * canonical (see canonicalTimeZone). Historic offsets with seconds (local mean time before
 * ~1900) are truncated to the minute.
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
