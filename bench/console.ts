/**
 * Console pages rendered server-side over a populated fleet: 100 nodes × 8 GPUs with 60 s of
 * 1 Hz telemetry each, 20 tenants, 500 jobs, invoices, inference records, alert events,
 * seeded through the product's own API on a real SQLite file. Each page is requested in
 * process (app.request, logged-in session cookie) and timed to the last byte of its HTML;
 * p50/p99 per page, plus the bytes of client JS + CSS the page ships (uncompressed).
 *
 *   node bench/console.ts [--nodes 100] [--runs 60]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { benchArgs } from './bench-args.ts'
import pino from 'pino'
import { createControlPlane } from '../control-plane/create-control-plane.ts'
import { parseControlPlaneConfig } from '../control-plane/config.ts'
import { bootstrapAdminKey } from '../control-plane/auth/bootstrap-admin-key.ts'
import { openSqliteStore } from '../control-plane/store/sqlite/open-sqlite-store.ts'
import { productParts } from '../control-plane/product-parts.ts'
import { CONSOLE_PAGES } from '../control-plane/console/console-layout.ts'
import { jsonApi, seedConsoleFleet } from '../test/helpers/seed-console-fleet.ts'

const args = benchArgs({ nodes: '100', runs: '60' })
const nodes = Number(args.nodes)
const runs = Number(args.runs)

// Telemetry's group-commit timer is unref'd; nothing else holds the loop in a bench.
const keepAlive = setInterval(() => {}, 60_000)
const dir = mkdtempSync(join(tmpdir(), 'gpufleet-bench-console-'))
const store = await openSqliteStore(join(dir, 'gpufleet.db'))
const root = (await bootstrapAdminKey(store)).key!
const app = createControlPlane({
  store, log: pino({ level: 'silent' }), config: parseControlPlaneConfig({ db: join(dir, 'gpufleet.db') }), routers: productParts().routers,
})
const request = jsonApi((path, init) => app.request(path, init), root)

const seedStart = performance.now()
await seedConsoleFleet(request, store, { nodes, gpusPerNode: 8, clusters: 4, telemetrySeconds: 60, tenants: 20, jobs: 500, now: Date.now() })
const seeded = await request('GET', '/api/dashboard')
console.log(`fleet: ${seeded.summary.nodes} nodes, ${seeded.summary.gpus} GPUs, ${seeded.summary.jobs.queued + seeded.summary.jobs.blocked + seeded.summary.jobs.running} waiting/running jobs; seeded in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`)

const login = await app.request('/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ key: root }).toString() })
const cookie = /gpufleet_session=[^;]+/.exec(login.headers.get('set-cookie') ?? '')?.[0]
if (cookie === undefined) throw new Error(`login failed: ${login.status}`)

const assetBytes = new Map<string, number>()
async function shippedBytes (html: string): Promise<number> {
  const refs = [...html.matchAll(/<script src="([^"]+)"/g), ...html.matchAll(/<link rel="stylesheet" href="([^"]+)"/g)].map(m => m[1]!)
  let total = 0
  for (const ref of refs) {
    if (!assetBytes.has(ref)) assetBytes.set(ref, (await (await app.request(ref)).arrayBuffer()).byteLength)
    total += assetBytes.get(ref)!
  }
  return total
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)]!
console.log(`host: ${cpus().length} × ${cpus()[0]?.model.trim()}, load average ${loadavg().map(l => l.toFixed(2)).join(' ')} (shared CPU: figures are noisy)`)
console.log(`${runs} timed renders per page after 5 warm-ups\n`)
console.log('page                 p50 ms   p99 ms   HTML KB   JS+CSS KB')
for (const [path] of CONSOLE_PAGES) {
  const times: number[] = []
  let html = ''
  for (let i = 0; i < runs + 5; i++) {
    const t0 = performance.now()
    const res = await app.request(path, { headers: { cookie } })
    html = await res.text()
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${html.slice(0, 200)}`)
    if (i >= 5) times.push(performance.now() - t0)
  }
  times.sort((a, b) => a - b)
  const js = await shippedBytes(html)
  console.log(`${path.padEnd(20)} ${pct(times, 50).toFixed(1).padStart(6)}   ${pct(times, 99).toFixed(1).padStart(6)}   ${(html.length / 1024).toFixed(1).padStart(7)}   ${(js / 1024).toFixed(1).padStart(9)}`)
}
console.log(`\nassets: ${[...assetBytes].map(([ref, n]) => `${ref} ${(n / 1024).toFixed(1)} KB`).join(', ')}`)

clearInterval(keepAlive)
await store.close()
rmSync(dir, { recursive: true, force: true })
