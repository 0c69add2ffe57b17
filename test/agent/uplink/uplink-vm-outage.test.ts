import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import t from 'tap'
import { productParts } from '../../../control-plane/product-parts.ts'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import { createVmClient } from '../../../control-plane/store/vm/create-vm-client.ts'
import { createVmTelemetryRepository } from '../../../control-plane/store/vm/vm-telemetry-repository.ts'
import { withVmTelemetry } from '../../../control-plane/store/vm/with-vm-telemetry.ts'
import { cpHarness, T0 } from '../../control-plane/cp-harness.ts'
import { createClusterWithId } from '../../reliability/fleet-client.ts'
import { startVictoriaMetrics, victoriaMetricsBinary, VM_MISSING } from '../../setup/victoria-metrics.ts'
import { createFakeClock } from './fake-clock.ts'
import { startHarness } from './uplink-harness.ts'
import { until } from './until.ts'

// `--telemetry vm=…` under an outage, end to end: the real agent uplink and its spool, the real
// control plane, a real VictoriaMetrics stopped and started again.
t.test('VictoriaMetrics down: the agent spools (503), then backfills; every row emitted is stored once', { skip: victoriaMetricsBinary() === null ? VM_MISSING : false }, async t => {
  const vm = await startVictoriaMetrics()
  t.teardown(() => vm.close())
  const sql = await openSqliteStore(':memory:')
  t.teardown(() => sql.close())
  // Generous request timeouts (a hang detector, not a bound): the agent replays only on its
  // timers, which this test's fake clock runs only when it ticks, so a first push that timed out
  // on a busy machine (load 14) was spooled and never came back; a stopped VictoriaMetrics
  // still refuses at once.
  const client = createVmClient({ insertUrl: vm.url, selectUrl: vm.url, timeoutMs: 30_000 })
  // One clock for the agent and the control plane (rows ahead of the control plane's are skipped).
  const clock = createFakeClock(T0)
  const repo = createVmTelemetryRepository({ client, now: clock.now })
  const cp = await cpHarness(t, { routers: productParts().routers, store: withVmTelemetry(sql, repo, client), now: clock.now })
  const server = await new Promise<Server>(resolve => {
    const s = serve({ fetch: cp.app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s as Server)) as Server
  })
  t.teardown(() => new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => resolve()) }))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const { key } = await createClusterWithId(url, cp.root, 'test-cluster', 'us-east-1')
  const h = await startHarness(t, { stateDir: t.testdir(), clock, uplink: { controlPlaneUrl: url, apiKey: key, pushTimeoutMs: 30_000 } })
  const wait = () => new Promise<void>(resolve => setTimeout(resolve, 20))

  await h.tick()
  await until('first push', () => h.uplink.stats().pushedSamples === 8, wait, 60_000)
  await vm.stop()
  for (let i = 0; i < 5; i++) await h.tick()
  await until('the unacknowledged rows spooled', () => h.uplink.stats().spoolSamples === 40, wait, 60_000)
  t.equal(h.uplink.stats().pushedSamples, 8, 'nothing acknowledged while VictoriaMetrics was down')
  t.ok(h.uplink.stats().pushFailures > 0)

  await vm.start()
  // The spool replays on the agent's timers: tick until it is empty, then let the last pushes land.
  await until('spool replayed', () => h.uplink.stats().spoolSamples === 0, () => h.tick(), 120_000)
  await until('every row pushed', () => h.uplink.stats().pushedSamples === h.emittedKeys().size, wait, 120_000)
  await vm.flush()
  t.equal(await repo.countSamples(), h.emittedKeys().size, 'every row emitted is in VictoriaMetrics, once')
  t.equal((await repo.latest()).length, 8, 'latest: the host\'s 8 GPUs')
})
