/**
 * Analytics at volume: N inference records (default 10 million) over 90 days in a real SQLite
 * file, written through the repository's own bulk path (insertInferenceRecords in big
 * transactions, so the 15-minute rollups are the ones ingest builds). Then, through the real
 * HTTP path (the control plane app with real API-key auth, in-process app.request):
 *   GET /v1/history/summary for 90 days in UTC and in Asia/Kolkata   (target p50 < 200 ms)
 *   GET /v1/history/inference?limit=1000 (first page, newest first)  (target p50 < 20 ms)
 * Each summary is checked against a naive GROUP BY over the raw rows (a measurement on a
 * second, read-only connection, not product SQL): the per-day counts and tokens must match.
 *
 *   node bench/analytics.ts [--records 10000000] [--days 90] [--batch 50000] [--runs 30] [--keep]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { benchArgs } from './bench-args.ts'
import { DatabaseSync } from 'node:sqlite'
import pino from 'pino'
import { createControlPlane } from '../control-plane/create-control-plane.ts'
import { parseControlPlaneConfig } from '../control-plane/config.ts'
import { generateApiKey, hashApiKey, keyPrefixOf } from '../shared/wire/api-key-format.ts'
import { openSqliteStore } from '../control-plane/store/sqlite/open-sqlite-store.ts'
import type { InferenceRecordInput } from '../control-plane/store/analytics-repository.ts'
import { createAnalyticsRouter } from '../control-plane/analytics/create-analytics-router.ts'
import { ms, pct, time } from './timings.ts'

const args = benchArgs({ records: '10000000', days: '90', batch: '50000', runs: '30', keep: false })
const total = Number(args.records)
const days = Number(args.days)
const batch = Number(args.batch)
const runs = Number(args.runs)
for (const [name, v] of [['--records', total], ['--days', days], ['--batch', batch], ['--runs', runs]] as const) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got ${v}`)
}
const DAY = 86_400_000

const dir = mkdtempSync(join(tmpdir(), 'gpufleet-bench-analytics-'))
const dbPath = join(dir, 'gpufleet.db')
const store = await openSqliteStore(dbPath)
const now = Math.floor(Date.now() / 60_000) * 60_000
const first = now - days * DAY
const step = (days * DAY) / total

// A serving fleet: 8 endpoints on 4 hosts, a few tenants, ~2 % errors, ragged timestamps.
let seed = 42
const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
const SOURCES = ['gpu-node-01', 'gpu-node-02', 'gpu-node-03', 'gpu-node-04']
const ENDPOINTS = ['llama-3-8b-chat', 'llama-3-70b-chat', 'qwen-2-72b', 'mistral-7b', 'embed-small', 'embed-large', 'whisper', 'sdxl']

const genStart = performance.now()
for (let i = 0; i < total; i += batch) {
  const records: InferenceRecordInput[] = []
  for (let k = i; k < Math.min(total, i + batch); k++) {
    const e = k % ENDPOINTS.length
    records.push({
      id: `req-${k.toString(36).padStart(6, '0')}`,
      at: Math.floor(first + k * step + rand() * step),
      endpoint: ENDPOINTS[e]!,
      model: ENDPOINTS[e]!,
      tenantId: null,
      source: SOURCES[e % SOURCES.length]!,
      tokensIn: 50 + Math.floor(rand() * 2000),
      tokensOut: Math.floor(rand() * 800),
      latencyMs: Math.round(20 + rand() * 3000),
      status: rand() < 0.02 ? 'error' : 'ok',
    })
  }
  await store.analytics.insertInferenceRecords(records)
  if ((i / batch) % 20 === 19) process.stderr.write(`  … ${(i + batch).toLocaleString('en-US')} records, ${((performance.now() - genStart) / 1000).toFixed(0)} s\n`)
}
const genSeconds = (performance.now() - genStart) / 1000

const key = generateApiKey()
await store.apiKeys.create({ keyHash: hashApiKey(key), keyPrefix: keyPrefixOf(key), label: 'bench', permissions: ['admin'], tenantId: null, createdByKeyId: null, createdAt: now })
const log = pino({ level: 'silent' })
const app = createControlPlane({
  store, log, config: parseControlPlaneConfig({ db: dbPath }), now: () => now,
  routers: [{ path: '/', router: ctx => createAnalyticsRouter({ store: ctx.store, requireScope: ctx.requireScope, now: ctx.now, log: ctx.log }) }],
})
const env = { incoming: { socket: { remoteAddress: '127.0.0.1', remotePort: 40000, remoteFamily: 'IPv4' } } }
async function get (path: string): Promise<any> {
  const res = await app.request(path, { headers: { authorization: `Bearer ${key}` } }, env)
  const body = await res.json()
  if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${JSON.stringify(body)}`)
  return body
}

const size = (p: string) => { try { return statSync(p).size } catch { return 0 } }

// The naive way: per-day GROUP BY over every raw row (fixed offsets: UTC and Kolkata have no DST).
// The offset is bound as a BigInt so SQLite divides integers (a JS number binds as REAL).
const naiveDb = new DatabaseSync(dbPath, { readOnly: true })
function naive (offsetMinutes: number, since: number, until: number): Map<string, [number, number, number]> {
  const rows = naiveDb.prepare(`SELECT (at + ?1) / 86400000 AS d, COUNT(*) AS n, SUM(tokens_in) AS ti, SUM(tokens_out) AS tout
    FROM inference_records WHERE at >= ?2 AND at < ?3 GROUP BY d`).all(BigInt(offsetMinutes * 60_000), since, until) as any[]
  return new Map(rows.map(r => [new Date(r.d * DAY).toISOString().slice(0, 10), [r.n, r.ti, r.tout]]))
}

console.log(`analytics bench: ${total.toLocaleString('en-US')} inference records over ${days} days, SQLite WAL file (node:sqlite)`)
console.log(`  machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, load average ${loadavg().map(l => l.toFixed(1)).join(' ')}`)
console.log(`  generated in ${genSeconds.toFixed(1)} s through insertInferenceRecords, ${batch.toLocaleString('en-US')} per transaction ` +
  `(${Math.round(total / genSeconds).toLocaleString('en-US')} records/s, rollups included); db ${((size(dbPath) + size(`${dbPath}-wal`)) / 2 ** 30).toFixed(2)} GiB`)

const since = new Date(first).toISOString()
const until = new Date(now).toISOString()
for (const [tz, offset] of [['UTC', 0], ['Asia/Kolkata', 330]] as const) {
  const path = `/v1/history/summary?since=${since}&until=${until}&tz=${tz}`
  await time(() => get(path), 3) // warm-up: JIT, page cache
  const body = await get(path)
  const expected = naive(offset, first, now)
  const exact = body.rows.length === expected.size && body.rows.every((r: any) => {
    const e = expected.get(r.date)
    return e !== undefined && e[0] === r.inference_requests && e[1] === r.tokens_in && e[2] === r.tokens_out
  })
  const sum = body.rows.reduce((s: number, r: any) => s + r.inference_requests, 0)
  const t = await time(() => get(path), runs)
  console.log(`  summary ${days} days tz=${tz}: ${body.rows.length} rows, ${sum.toLocaleString('en-US')} requests, ` +
    `per-day counts and tokens equal to a naive GROUP BY over the raw rows: ${exact ? 'yes' : 'NO'}`)
  console.log(`    HTTP (${runs} runs)   p50 ${ms(pct(t, 0.5))} ms   p95 ${ms(pct(t, 0.95))} ms   max ${ms(t[t.length - 1]!)} ms   (target p50 < 200 ms)`)
}

const page = '/v1/history/inference?limit=1000'
await time(() => get(page), 3)
const newest = await get(page)
const t = await time(() => get(page), runs)
console.log(`  first history page ${page} (desc): ${newest.jobs.length} records, has_more ${newest.has_more}, newest ${newest.jobs[0]?.at}`)
console.log(`    HTTP (${runs} runs)   p50 ${ms(pct(t, 0.5))} ms   p95 ${ms(pct(t, 0.95))} ms   max ${ms(t[t.length - 1]!)} ms   (target p50 < 20 ms)`)

naiveDb.close()
await store.close()
if (!args.keep) rmSync(dir, { recursive: true, force: true })
else console.log(`  kept ${dbPath}`)
