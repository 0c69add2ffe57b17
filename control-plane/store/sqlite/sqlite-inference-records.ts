import type {
  AnalyticsRepository, InferenceRecord, InferenceRecordInput, InferenceTotals, SourceTotals,
} from '../analytics-repository.ts'
import type { SqliteDb } from './sqlite-db.ts'
import { ROLLUP_BUCKET_MS as B } from './sqlite-analytics-migrations.ts'
import { MAX_MS, MIN_MS } from '../endpoint-rows.ts'

type InferencePart = Pick<AnalyticsRepository,
  'insertInferenceRecords' | 'listInferenceRecords' | 'inferenceTotalsBySource' | 'inferenceTotalsForEndpoint'>

const floorB = (ms: number) => Math.floor(ms / B) * B
const ceilB = (ms: number) => Math.ceil(ms / B) * B

const SUMS = `COUNT(*) AS requests, COALESCE(SUM(status = 'error'), 0) AS errors, COALESCE(SUM(tokens_in), 0) AS tokens_in,
  COALESCE(SUM(tokens_out), 0) AS tokens_out, COALESCE(SUM(latency_ms), 0) AS latency_ms_sum`
const ROLLED = `COALESCE(SUM(requests), 0) AS requests, COALESCE(SUM(errors), 0) AS errors, COALESCE(SUM(tokens_in), 0) AS tokens_in,
  COALESCE(SUM(tokens_out), 0) AS tokens_out, COALESCE(SUM(latency_ms_sum), 0) AS latency_ms_sum`
const ADD = `requests = requests + excluded.requests, errors = errors + excluded.errors, tokens_in = tokens_in + excluded.tokens_in,
  tokens_out = tokens_out + excluded.tokens_out, latency_ms_sum = latency_ms_sum + excluded.latency_ms_sum`

interface SumRow { requests: number, errors: number, tokens_in: number, tokens_out: number, latency_ms_sum: number }
interface Acc { bucket: number, key: string, requests: number, errors: number, tokensIn: number, tokensOut: number, latencyMsSum: number }

const zero = (): InferenceTotals => ({ requests: 0, errors: 0, tokensIn: 0, tokensOut: 0, latencyMsSum: 0 })
function addRow (t: InferenceTotals, r: SumRow): void {
  t.requests += r.requests
  t.errors += r.errors
  t.tokensIn += r.tokens_in
  t.tokensOut += r.tokens_out
  t.latencyMsSum += r.latency_ms_sum
}

/** One inference_records row → record, its tenant named from `names` (shared by both engines). */
export function toInferenceRecord (r: any, names: Map<number, string>): InferenceRecord {
  return {
    id: r.id,
    at: r.at,
    endpoint: r.endpoint,
    model: r.model,
    tenantId: r.tenant_id,
    tenantName: r.tenant_id === null ? null : (names.get(r.tenant_id) ?? null),
    source: r.source,
    tokensIn: r.tokens_in,
    tokensOut: r.tokens_out,
    latencyMs: r.latency_ms,
    status: r.status,
  }
}

/** Inference records, their rollups (kept in the insert transaction) and exact totals. */
export function createSqliteInferenceRecords (db: SqliteDb): InferencePart {
  function accumulate (map: Map<string, Acc>, bucket: number, key: string, r: InferenceRecordInput): void {
    const k = `${bucket}\u0000${key}`
    let a = map.get(k)
    if (a === undefined) map.set(k, a = { bucket, key, requests: 0, errors: 0, tokensIn: 0, tokensOut: 0, latencyMsSum: 0 })
    a.requests++
    if (r.status === 'error') a.errors++
    a.tokensIn += r.tokensIn
    a.tokensOut += r.tokensOut
    a.latencyMsSum += r.latencyMs
  }

  /** Exact sums over [from, to): whole buckets from `rolled`, the partial ones from raw rows. */
  function exact (from: number, to: number, rolled: (lo: number, hi: number) => void, raw: (lo: number, hi: number) => void): void {
    if (!(to > from)) return
    const lo = ceilB(from)
    const hi = floorB(to)
    if (lo >= hi) {
      raw(from, to)
      return
    }
    rolled(lo, hi)
    if (from < lo) raw(from, lo)
    if (hi < to) raw(hi, to)
  }

  return {
    async insertInferenceRecords (records) {
      if (records.length === 0) return { inserted: 0, duplicates: 0 }
      const insert = db.stmt(`INSERT OR IGNORE INTO inference_records
        (id, at, endpoint, model, tenant_id, source, tokens_in, tokens_out, latency_ms, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      const bySource = new Map<string, Acc>()
      const byEndpoint = new Map<string, Acc>()
      return db.tx(() => {
        let inserted = 0
        for (const r of records) {
          const { changes } = insert.run(r.id, r.at, r.endpoint, r.model, r.tenantId, r.source, r.tokensIn, r.tokensOut, r.latencyMs, r.status)
          if (Number(changes) === 0) continue
          inserted++
          const bucket = floorB(r.at)
          accumulate(bySource, bucket, r.source ?? '', r)
          accumulate(byEndpoint, bucket, r.endpoint, r)
        }
        const upSource = db.stmt(`INSERT INTO inference_rollup_source (bucket, source, requests, errors, tokens_in, tokens_out, latency_ms_sum)
          VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (bucket, source) DO UPDATE SET ${ADD}`)
        for (const a of bySource.values()) upSource.run(a.bucket, a.key, a.requests, a.errors, a.tokensIn, a.tokensOut, a.latencyMsSum)
        const upEndpoint = db.stmt(`INSERT INTO inference_rollup_endpoint (endpoint, bucket, requests, errors, tokens_in, tokens_out, latency_ms_sum)
          VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (endpoint, bucket) DO UPDATE SET ${ADD}`)
        for (const a of byEndpoint.values()) upEndpoint.run(a.key, a.bucket, a.requests, a.errors, a.tokensIn, a.tokensOut, a.latencyMsSum)
        return { inserted, duplicates: records.length - inserted }
      })
    },

    async listInferenceRecords (q) {
      const dir = q.order === 'asc' ? 'ASC' : 'DESC'
      const rows = db.stmt(`SELECT id, at, endpoint, model, tenant_id, source, tokens_in, tokens_out, latency_ms, status
        FROM inference_records WHERE at >= ? AND at < ? ORDER BY at ${dir}, seq ${dir} LIMIT ? OFFSET ?`)
        .all(q.since ?? MIN_MS, q.until ?? MAX_MS, q.limit + 1, q.offset) as any[]
      const page = rows.slice(0, q.limit)
      // Names of the page's few tenants in one lookup, instead of a join per row on the hot first page.
      const tenantIds = [...new Set(page.map(r => r.tenant_id).filter(id => id !== null))]
      const names = new Map<number, string>()
      if (tenantIds.length > 0) {
        for (const t of db.stmt('SELECT id, name FROM tenants WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify(tenantIds)) as any[]) {
          names.set(t.id, t.name)
        }
      }
      const items = page.map(r => toInferenceRecord(r, names))
      return { items, hasMore: rows.length > q.limit }
    },

    async inferenceTotalsBySource (from, to) {
      const acc = new Map<string, SourceTotals>()
      const add = (rows: Array<SumRow & { source: string }>) => {
        for (const r of rows) {
          let t = acc.get(r.source)
          if (t === undefined) acc.set(r.source, t = { source: r.source === '' ? null : r.source, ...zero() })
          addRow(t, r)
        }
      }
      exact(from, to,
        (lo, hi) => add(db.stmt(`SELECT source, ${ROLLED} FROM inference_rollup_source WHERE bucket >= ? AND bucket < ? GROUP BY source`)
          .all(lo, hi) as any[]),
        (lo, hi) => add(db.stmt(`SELECT COALESCE(source, '') AS source, ${SUMS} FROM inference_records WHERE at >= ? AND at < ? GROUP BY 1`)
          .all(lo, hi) as any[]))
      return [...acc.values()].filter(t => t.requests > 0)
    },

    async inferenceTotalsForEndpoint (endpoint, from, to) {
      const t = zero()
      exact(Math.max(from, MIN_MS), Math.min(to, MAX_MS),
        (lo, hi) => addRow(t, db.stmt(`SELECT ${ROLLED} FROM inference_rollup_endpoint WHERE endpoint = ? AND bucket >= ? AND bucket < ?`)
          .get(endpoint, lo, hi) as any),
        (lo, hi) => addRow(t, db.stmt(`SELECT ${SUMS} FROM inference_records WHERE at >= ? AND at < ? AND endpoint = ?`)
          .get(lo, hi, endpoint) as any))
      return t
    },
  }
}
