/**
 * `--telemetry` (GPUFLEET_TELEMETRY): where GPU telemetry lives.
 * - `sql` (default): the store's own tables (SQLite or PostgreSQL, as `--db`).
 * - `vm=http://host:8428`: a single-node VictoriaMetrics (writes /api/v1/import, reads
 *   /api/v1/query*).
 * - `vm=insert=http://vminsert:8480/insert/0/prometheus,select=http://vmselect:8481/select/0/prometheus`:
 *   a VictoriaMetrics cluster, its vminsert and vmselect tenant prefixes (the same paths are
 *   appended to each).
 */
export type TelemetryEngine =
  | { kind: 'sql' }
  | { kind: 'vm', insertUrl: string, selectUrl: string }

export function parseTelemetryEngine (spec: string): TelemetryEngine | { error: string } {
  const s = spec.trim()
  if (s === '' || s === 'sql') return { kind: 'sql' }
  if (!s.startsWith('vm=')) return { error: 'expected sql, vm=http://host:8428 or vm=insert=URL,select=URL' }
  const rest = s.slice(3)
  if (!rest.startsWith('insert=') && !rest.startsWith('select=')) {
    const url = httpBase(rest)
    return url === null ? { error: 'vm=: expected an http(s) URL such as http://127.0.0.1:8428' } : { kind: 'vm', insertUrl: url, selectUrl: url }
  }
  const parts = new Map<string, string>()
  for (const part of rest.split(',')) {
    const eq = part.indexOf('=')
    const key = part.slice(0, eq)
    if (eq < 0 || (key !== 'insert' && key !== 'select') || parts.has(key)) {
      return { error: 'vm=: expected insert=URL,select=URL (each once)' }
    }
    const url = httpBase(part.slice(eq + 1))
    if (url === null) return { error: `vm=: ${key}= is not an http(s) URL` }
    parts.set(key, url)
  }
  const insertUrl = parts.get('insert')
  const selectUrl = parts.get('select')
  if (insertUrl === undefined || selectUrl === undefined) return { error: 'vm=: a cluster needs both insert=URL and select=URL' }
  return { kind: 'vm', insertUrl, selectUrl }
}

/** The URL without a trailing slash, or null when it is not http(s) or carries a query or fragment. */
function httpBase (raw: string): string | null {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return null
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '') return null
  return url.toString().replace(/\/+$/, '')
}
