import type {
  AnalyticsRepository, InferenceRecord, InferenceRecordInput, InferenceTotals, SourceTotals,
} from '../analytics-repository.ts'
import type { SqlDb } from '../sql-db.ts'
import { ANALYTICS_LOCK } from '../store-locks.ts'
import { MAX_MS, MIN_MS } from './endpoint-rows.ts'

type InferencePart = Pick<AnalyticsRepository,
  'insertInferenceRecords' | 'listInferenceRecords' | 'inferenceTotalsBySource' | 'inferenceTotalsForEndpoint'>

// Width of the inference rollup buckets, UTC-aligned (the migrations say why 15 minutes).
const B = 15 * 60_000
const floorB = (ms: number) => Math.floor(ms / B) * B
const ceilB = (ms: number) => Math.ceil(ms / B) * B

const SUMS = `COUNT(*) AS requests, COUNT(*) FILTER (WHERE status = 'error') AS errors, COALESCE(SUM(tokens_in), 0) AS tokens_in,
  COALESCE(SUM(tokens_out), 0) AS tokens_out, COALESCE(SUM(latency_ms), 0) AS latency_ms_sum`
const ROLLED = `COALESCE(SUM(requests), 0) AS requests, COALESCE(SUM(errors), 0) AS errors, COALESCE(SUM(tokens_in), 0) AS tokens_in,
  COALESCE(SUM(tokens_out), 0) AS tokens_out, COALESCE(SUM(latency_ms_sum), 0) AS latency_ms_sum`
// Qualified by the table: PostgreSQL calls a bare column in DO UPDATE ambiguous.
const ADD = (t: string) => `requests = ${t}.requests + excluded.requests, errors = ${t}.errors + excluded.errors,
  tokens_in = ${t}.tokens_in + excluded.tokens_in, tokens_out = ${t}.tokens_out + excluded.tokens_out,
  latency_ms_sum = ${t}.latency_ms_sum + excluded.latency_ms_sum`

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

/** One inference_records row → record, its tenant named from `names`. */
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
export function createSqlInferenceRecords (db: SqlDb): InferencePart {
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
  async function exact (from: number, to: number, rolled: (lo: number, hi: number) => Promise<void>, raw: (lo: number, hi: number) => Promise<void>): Promise<void> {
    if (!(to > from)) return
    const lo = ceilB(from)
    const hi = floorB(to)
    if (lo >= hi) {
      await raw(from, to)
      return
    }
    await rolled(lo, hi)
    if (from < lo) await raw(from, lo)
    if (hi < to) await raw(hi, to)
  }

  return {
    async insertInferenceRecords (records) {
      if (records.length === 0) return { inserted: 0, duplicates: 0 }
      const bySource = new Map<string, Acc>()
      const byEndpoint = new Map<string, Acc>()
      return db.tx(ANALYTICS_LOCK, async q => {
        const changed = await q.runEach(`INSERT INTO inference_records
          (id, at, endpoint, model, tenant_id, source, tokens_in, tokens_out, latency_ms, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
          ON CONFLICT (id) DO NOTHING`,
        records.map(r => [r.id, r.at, r.endpoint, r.model, r.tenantId, r.source, r.tokensIn, r.tokensOut, r.latencyMs, r.status]))
        let inserted = 0
        records.forEach((r, i) => {
          if (changed[i] === 0) return
          inserted++
          const bucket = floorB(r.at)
          accumulate(bySource, bucket, r.source ?? '', r)
          accumulate(byEndpoint, bucket, r.endpoint, r)
        })
        for (const a of bySource.values()) {
          await q.run(`INSERT INTO inference_rollup_source (bucket, source, requests, errors, tokens_in, tokens_out, latency_ms_sum)
            VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (bucket, source) DO UPDATE SET ${ADD('inference_rollup_source')}`,
          a.bucket, a.key, a.requests, a.errors, a.tokensIn, a.tokensOut, a.latencyMsSum)
        }
        for (const a of byEndpoint.values()) {
          await q.run(`INSERT INTO inference_rollup_endpoint (endpoint, bucket, requests, errors, tokens_in, tokens_out, latency_ms_sum)
            VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (endpoint, bucket) DO UPDATE SET ${ADD('inference_rollup_endpoint')}`,
          a.key, a.bucket, a.requests, a.errors, a.tokensIn, a.tokensOut, a.latencyMsSum)
        }
        return { inserted, duplicates: records.length - inserted }
      })
    },

    async listInferenceRecords (q) {
      const dir = q.order === 'asc' ? 'ASC' : 'DESC'
      const rows = await db.all<any>(`SELECT id, at, endpoint, model, tenant_id, source, tokens_in, tokens_out, latency_ms, status
        FROM inference_records WHERE at >= ? AND at < ? ORDER BY at ${dir}, seq ${dir} LIMIT ? OFFSET ?`,
      q.since ?? MIN_MS, q.until ?? MAX_MS, q.limit + 1, q.offset)
      const page = rows.slice(0, q.limit)
      // Names of the page's few tenants in one lookup, instead of a join per row on the hot first page.
      const tenantIds = [...new Set(page.map(r => r.tenant_id).filter(id => id !== null))]
      const names = new Map<number, string>()
      if (tenantIds.length > 0) {
        for (const t of await db.all<any>(`SELECT id, name FROM tenants WHERE ${db.dialect.inList('id', 'bigint')}`, tenantIds)) {
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
      await exact(from, to,
        async (lo, hi) => add(await db.all<any>(`SELECT source, ${ROLLED} FROM inference_rollup_source WHERE bucket >= ? AND bucket < ? GROUP BY source`, lo, hi)),
        async (lo, hi) => add(await db.all<any>(`SELECT COALESCE(source, '') AS source, ${SUMS} FROM inference_records WHERE at >= ? AND at < ? GROUP BY 1`, lo, hi)))
      return [...acc.values()].filter(t => t.requests > 0)
    },

    async inferenceTotalsForEndpoint (endpoint, from, to) {
      const t = zero()
      await exact(Math.max(from, MIN_MS), Math.min(to, MAX_MS),
        async (lo, hi) => addRow(t, (await db.one<any>(`SELECT ${ROLLED} FROM inference_rollup_endpoint WHERE endpoint = ? AND bucket >= ? AND bucket < ?`, endpoint, lo, hi))),
        async (lo, hi) => addRow(t, (await db.one<any>(`SELECT ${SUMS} FROM inference_records WHERE at >= ? AND at < ? AND endpoint = ?`, lo, hi, endpoint))))
      return t
    },
  }
}
