/**
 * The runtime's canonical name for an IANA zone or alias (`utc` → `UTC`, `Asia/Calcutta` →
 * ICU's name), or null when ICU does not know it. Summaries compute with the canonical name,
 * so offset lookups see one spelling per zone.
 */
export function resolveTimeZone (name: string): string | null {
  if (name.length === 0 || name.length > 64 || !/^[A-Za-z0-9_+\-/]+$/.test(name)) return null
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone
  } catch {
    return null
  }
}
