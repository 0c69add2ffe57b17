import { CodedError } from '../../../shared/coded-error.ts'

/**
 * VM_UNAVAILABLE: VictoriaMetrics did not answer or answered 5xx (retry: the control plane
 * answers 503 STORE_UNAVAILABLE, agents spool). VM_REJECTED: it refused the request (4xx).
 */
export class VmError extends CodedError<'VM_UNAVAILABLE' | 'VM_REJECTED'> {
  constructor (code: 'VM_UNAVAILABLE' | 'VM_REJECTED', message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.name = 'VmError'
  }
}

/** One series of a query answer: its labels and [epoch ms, value] points (NaN left out). */
export interface VmSeries {
  metric: Record<string, string>
  points: Array<[number, number]>
}

export interface VmClient {
  /** POSTs JSON lines to /api/v1/import; resolves once VictoriaMetrics accepted them (2xx). */
  importLines: (body: string) => Promise<void>
  /** Instant query at `atMs`. */
  query: (expr: string, atMs: number) => Promise<VmSeries[]>
  /** Range query evaluated at startMs, startMs + stepMs, … ≤ endMs. */
  queryRange: (expr: string, startMs: number, endMs: number, stepMs: number) => Promise<VmSeries[]>
  /** Label sets of the series matching `match` with samples in [startMs, endMs] (an index lookup, by day). */
  series: (match: string, startMs: number, endMs: number) => Promise<Array<Record<string, string>>>
  /** The /flags page of the select side's server (single node or vmselect). */
  flags: () => Promise<string>
}

export interface VmClientOptions {
  insertUrl: string
  selectUrl: string
  /** Per request (default 30 s). */
  timeoutMs?: number
  fetch?: typeof fetch
}

const seconds = (ms: number) => (ms / 1000).toFixed(3)

/**
 * A thin HTTP client for VictoriaMetrics' Prometheus-compatible API. Queries pass nocache=1:
 * VictoriaMetrics caches range results older than -search.cacheTimestampOffset (5 min), and a
 * late or replayed sample older than that would not show in a cached answer.
 */
export function createVmClient (options: VmClientOptions): VmClient {
  const { timeoutMs = 30_000, fetch: doFetch = fetch } = options
  const insert = withoutCredentials(options.insertUrl)
  const selected = withoutCredentials(options.selectUrl)
  const insertUrl = insert.url
  const selectUrl = selected.url

  async function send (side: 'insert' | 'select', url: string, init: RequestInit): Promise<Response> {
    const auth = side === 'insert' ? insert.authorization : selected.authorization
    let res: Response
    try {
      res = await doFetch(url, {
        ...init,
        headers: { ...init.headers as Record<string, string>, ...(auth === null ? {} : { authorization: auth }) },
        signal: AbortSignal.timeout(timeoutMs),
      })
    } catch (err) {
      throw new VmError('VM_UNAVAILABLE', `VictoriaMetrics did not answer: ${(err as Error).message}`, { cause: err })
    }
    if (res.ok) return res
    const text = (await res.text().catch(() => '')).slice(0, 300)
    throw new VmError(res.status >= 500 ? 'VM_UNAVAILABLE' : 'VM_REJECTED', `VictoriaMetrics answered ${res.status}: ${text}`)
  }

  async function select (path: string, params: Record<string, string>): Promise<VmSeries[]> {
    const res = await send('select', `${selectUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...params, nocache: '1' }).toString(),
    })
    const json = await res.json() as { status: string, data?: { resultType: string, result: Array<{ metric: Record<string, string>, value?: [number, string], values?: Array<[number, string]> }> } }
    if (json.status !== 'success' || json.data === undefined) throw new VmError('VM_REJECTED', `VictoriaMetrics query failed: ${JSON.stringify(json).slice(0, 300)}`)
    return json.data.result.map(r => ({
      metric: r.metric,
      points: (r.values ?? (r.value === undefined ? [] : [r.value]))
        .map(([t, v]): [number, number] => [Math.round(Number(t) * 1000), Number(v)])
        .filter(([, v]) => !Number.isNaN(v)),
    }))
  }

  return {
    async importLines (body) {
      await send('insert', `${insertUrl}/api/v1/import`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    },
    query: (expr, atMs) => select('/api/v1/query', { query: expr, time: seconds(atMs) }),
    queryRange: (expr, startMs, endMs, stepMs) =>
      select('/api/v1/query_range', { query: expr, start: seconds(startMs), end: seconds(endMs), step: `${stepMs}ms` }),
    async series (match, startMs, endMs) {
      const res = await send('select', `${selectUrl}/api/v1/series`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ 'match[]': match, start: seconds(startMs), end: seconds(endMs) }).toString(),
      })
      const json = await res.json() as { status: string, data?: Array<Record<string, string>> }
      if (json.status !== 'success' || json.data === undefined) throw new VmError('VM_REJECTED', `VictoriaMetrics series lookup failed: ${JSON.stringify(json).slice(0, 300)}`)
      return json.data
    },
    async flags () {
      return (await send('select', new URL('/flags', selectUrl).toString(), { method: 'GET' })).text()
    },
  }
}

/**
 * `http://user:password@vmauth:8427/…` (vmauth, a proxy): fetch refuses credentials in a URL,
 * so they travel as Basic authorization instead.
 */
function withoutCredentials (raw: string): { url: string, authorization: string | null } {
  const url = new URL(raw)
  if (url.username === '' && url.password === '') return { url: raw, authorization: null }
  const user = decodeURIComponent(url.username)
  const password = decodeURIComponent(url.password)
  url.username = ''
  url.password = ''
  return { url: url.toString().replace(/\/+$/, ''), authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` }
}
