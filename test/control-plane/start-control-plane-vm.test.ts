import t from 'tap'
import { join } from 'node:path'
import pino from 'pino'
import { startControlPlane } from '../../control-plane/start-control-plane.ts'
import { parseControlPlaneConfig } from '../../control-plane/config.ts'
import { productParts } from '../../control-plane/product-parts.ts'
import { startVictoriaMetrics, victoriaMetricsBinary, VM_MISSING } from '../setup/victoria-metrics.ts'

const silent = pino({ level: 'silent' })
const adminKey = `gfk_${'vm0123456789abcd'.repeat(3)}`

t.test('--telemetry vm=…: samples go to VictoriaMetrics, the relational state stays in --db', { skip: victoriaMetricsBinary() === null ? VM_MISSING : false }, async t => {
  const vm = await startVictoriaMetrics()
  t.teardown(() => vm.close())
  const db = join(t.testdir(), 'cp.db')
  const cp = await startControlPlane(parseControlPlaneConfig({ listen: '127.0.0.1:0', db, adminKey, telemetry: `vm=${vm.url}` }), { log: silent, ...productParts() })
  t.teardown(() => cp.close())
  const headers = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' }
  const at = Date.now() - 2_000
  const push = () => fetch(`${cp.url}/api/gpu-stats`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ node: { hostname: 'gpu-a', cluster: 'lab', region: 'eu' }, gpus: [0, 1].map(g => ({ gpu_id: g, name: 'NVIDIA B200', recorded_at: new Date(at).toISOString(), power_draw_w: 500 + g, temp_c: 47, ecc_errors_uncorrected: g, memory_used_mb: 1, memory_total_mb: 2, utilization_pct: 50 })) }),
  })
  const res = await push()
  t.equal(res.status, 200)
  t.match(await res.json(), { ok: true, accepted: 2 })
  await vm.flush()

  const latest = await (await fetch(`${cp.url}/api/gpu-stats`, { headers })).json() as Array<Record<string, unknown>>
  t.match(latest, [{ gpu_id: 0, power_draw_w: 500, hostname: 'gpu-a', recorded_at: new Date(at).toISOString().replace('Z', '+00:00') }, { gpu_id: 1, power_draw_w: 501 }])
  const history = await (await fetch(`${cp.url}/api/gpu-stats/power-history?days=1&bucket_minutes=1`, { headers })).json() as { points: Array<{ power_draw_w: number }> }
  t.same(history.points.map(p => p.power_draw_w), [1001])
  // The node was registered in the relational store by its first push.
  const clusters = await (await fetch(`${cp.url}/api/clusters`, { headers })).json()
  t.match(clusters, [{ name: 'lab' }], 'the cluster its first push registered is in --db')

  // The reads that join samples with job holds answer too (their figures: test/control-plane/store/vm/dashboard-vm.test.ts).
  t.equal((await fetch(`${cp.url}/api/dashboard/kpis`, { headers })).status, 200, 'KPIs')
  t.equal((await fetch(`${cp.url}/api/dashboard/leakage`, { headers })).status, 200, 'leakage')
  let text = ''
  for (let i = 0; i < 600 && !text.includes('"ecc_errors_uncorrected":1'); i++) {
    const overview = await fetch(`${cp.url}/api/dashboard`, { headers })
    t.equal(overview.status, 200)
    text = await overview.text()
    if (!text.includes('"ecc_errors_uncorrected":1')) await new Promise(resolve => setTimeout(resolve, 100))
  }
  t.match(text, '"ecc_errors_uncorrected":1', 'the overview\'s ECC count comes from VictoriaMetrics\' latest')

  await vm.stop()
  const down = await push()
  t.equal(down.status, 503, 'a push while VictoriaMetrics is down: 503, the agent spools')
  t.match(await down.json(), { code: 'STORE_UNAVAILABLE' })
  const read = await fetch(`${cp.url}/api/gpu-stats`, { headers })
  t.equal(read.status, 503, 'a read: 503')
  t.match(await read.json(), { code: 'STORE_UNAVAILABLE' })
  await vm.start()
  t.equal((await push()).status, 200, 'back up')
})

t.test('--telemetry: bad values fail at start-up, naming the option', async t => {
  for (const telemetry of ['vm', 'vm=', 'vm=ftp://x', 'vm=insert=http://a:8480', 'vm=select=http://a,insert=http://b,insert=http://c', 'victoria', 'vm=http://a?x=1']) {
    t.throws(() => parseControlPlaneConfig({ telemetry }), { code: 'CONFIG_INVALID', message: /--telemetry \(GPUFLEET_TELEMETRY\): expected sql, vm=/ }, telemetry)
  }
  t.same(parseControlPlaneConfig({}).telemetryEngine, { kind: 'sql' }, 'default: the SQL store')
  t.same(parseControlPlaneConfig({ telemetry: 'vm=http://vm:8428/' }).telemetryEngine, { kind: 'vm', insertUrl: 'http://vm:8428', selectUrl: 'http://vm:8428' })
  t.same(parseControlPlaneConfig({ telemetry: 'vm=insert=http://vminsert:8480/insert/0/prometheus,select=http://vmselect:8481/select/0/prometheus' }).telemetryEngine,
    { kind: 'vm', insertUrl: 'http://vminsert:8480/insert/0/prometheus', selectUrl: 'http://vmselect:8481/select/0/prometheus' })
})
