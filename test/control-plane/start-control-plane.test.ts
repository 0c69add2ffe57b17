import t from 'tap'
import { join } from 'node:path'
import pino from 'pino'
import { startControlPlane } from '../../control-plane/start-control-plane.ts'
import { parseControlPlaneConfig } from '../../control-plane/config.ts'
import { checkBootstrapKey } from './check-bootstrap-key.ts'

const silent = pino({ level: 'silent' })

t.test('first start prints a generated key once; a second start of the same db file does not', async t => {
  const db = join(t.testdir(), 'data', 'gpufleet.db')
  const config = parseControlPlaneConfig({ listen: '127.0.0.1:0', db })
  const first = await startControlPlane(config, { log: silent })
  t.teardown(() => first.close())
  t.match(first.url, /^http:\/\/127\.0\.0\.1:\d+$/)
  t.ok(first.port > 0)
  const key = await checkBootstrapKey(t, first)
  const metrics = await (await fetch(`${first.url}/metrics`)).text()
  t.match(metrics, /gpufleet_cp_store_db_bytes [1-9]\d*/, 'db file size on /metrics')
  await first.close()

  const second = await startControlPlane(config, { log: silent })
  t.teardown(() => second.close())
  t.equal(second.bootstrapKey, undefined, 'not printed again')
  t.equal((await fetch(`${second.url}/api/api-keys`, { headers: { 'x-api-key': key! } })).status, 200, 'the first key still works')
  await second.close()
})

t.test('GPUFLEET_ADMIN_KEY: stored as superadmin, nothing generated or returned', async t => {
  const adminKey = `gfk_${'0123456789abcdef'.repeat(3)}`
  const cp = await startControlPlane(parseControlPlaneConfig({ listen: '127.0.0.1:0', db: join(t.testdir(), 'cp.db'), adminKey }), { log: silent })
  t.teardown(() => cp.close())
  t.equal(cp.bootstrapKey, undefined)
  const res = await fetch(`${cp.url}/api/api-keys`, { headers: { authorization: `Bearer ${adminKey}` } })
  t.equal(res.status, 200)
  t.match(await res.json(), [{ label: 'bootstrap', permissions: ['superadmin'], key_prefix: adminKey.slice(0, 12) }])
})

t.test('the auth limiter keys on the socket address and ignores X-Forwarded-For', async t => {
  const cp = await startControlPlane(parseControlPlaneConfig({ listen: '127.0.0.1:0', db: join(t.testdir(), 'cp.db'), authFailuresPerMinute: 3 }), { log: silent })
  t.teardown(() => cp.close())
  const statuses: number[] = []
  for (let i = 0; i < 5; i++) {
    const res = await fetch(`${cp.url}/api/api-keys`, { headers: { 'x-api-key': `gfk_${'0'.repeat(64)}`, 'x-forwarded-for': `10.0.0.${i}` } })
    statuses.push(res.status)
    if (res.status === 429) t.ok(Number(res.headers.get('retry-after')) > 0, 'Retry-After')
  }
  t.same(statuses, [401, 401, 401, 429, 429])
})

t.test('close() stops loops, then the server, then the store, in that order', async t => {
  const events: string[] = []
  let storeOk: boolean | undefined
  let serverUp: boolean | undefined
  let url = ''
  const cp = await startControlPlane(parseControlPlaneConfig({ listen: '127.0.0.1:0', db: join(t.testdir(), 'cp.db') }), {
    log: silent,
    loops: [({ store }) => ({
      start: () => { events.push('start') },
      stop: async () => {
        events.push('stop')
        serverUp = (await fetch(`${url}/healthz`)).status === 200
        storeOk = await store.apiKeys.hasAny()
      },
    })],
  })
  url = cp.url
  t.same(events, ['start'], 'started once listening')
  await cp.close()
  await cp.close()
  t.same(events, ['start', 'stop'], 'stopped once, close() is idempotent')
  t.equal(serverUp, true, 'the server still answered while loops stopped')
  t.equal(storeOk, true, 'the store was still open while loops stopped')
  await t.rejects(fetch(`${url}/healthz`), 'server closed')
  await t.rejects(cp.store.apiKeys.hasAny(), 'store closed')
})

t.test('a port in use fails start with the listen error', async t => {
  const dir = t.testdir()
  const a = await startControlPlane(parseControlPlaneConfig({ listen: '127.0.0.1:0', db: join(dir, 'a.db') }), { log: silent })
  t.teardown(() => a.close())
  await t.rejects(startControlPlane(parseControlPlaneConfig({ listen: `127.0.0.1:${a.port}`, db: join(dir, 'b.db') }), { log: silent }), { code: 'EADDRINUSE' })
})
