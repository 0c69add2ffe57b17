import t from 'tap'
import pino from 'pino'
import { Registry } from 'prom-client'
import { createControlPlane } from '../../../control-plane/create-control-plane.ts'
import { parseControlPlaneConfig } from '../../../control-plane/config.ts'
import { bootstrapAdminKey } from '../../../control-plane/auth/bootstrap-admin-key.ts'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import { schedulingParts } from '../../../control-plane/scheduling/scheduling-parts.ts'
import { fakeClock } from '../fleet/fleet-harness.ts'
import { addCluster } from './fleet-fixture.ts'

t.test('schedulingParts: the routers poke the scheduler the loop starts (one per store); metrics on the shared registry', async t => {
  const clock = fakeClock()
  const store = await openSqliteStore(':memory:')
  t.teardown(() => store.close())
  const log = pino({ level: 'silent' })
  const registry = new Registry()
  const parts = schedulingParts({ timers: clock.timers })
  const app = createControlPlane({ store, log, config: parseControlPlaneConfig({ db: ':memory:' }), now: clock.now, registry, routers: parts.routers })
  const loops = parts.loops.map(make => make({ store, log, now: clock.now, registry }))
  t.equal(loops.length, 1)
  for (const l of loops) await l.start()
  t.teardown(async () => { for (const l of loops) await l.stop() })

  const key = (await bootstrapAdminKey(store, undefined, clock.now)).key as string
  const c = await addCluster(store, 'c', [{ gpus: 1 }], clock.now())
  const res = await app.request('/api/jobs', {
    method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ cluster_id: c.clusterId, name: 'j' }),
  })
  t.equal(res.status, 201)
  await clock.advance(200)
  for (let i = 0; i < 10; i++) await new Promise(resolve => setImmediate(resolve))
  t.equal((await store.jobs.get(1))?.status, 'running', 'the submit poked the started loop\'s scheduler')
  t.match(await registry.metrics(), /gpufleet_cp_scheduler_jobs_started_total 1/)
  const paths = ['/api/tenants', '/api/jobs', '/api/scheduler/logs', '/api/dashboard/scheduling-metrics', '/api/dashboard/gpu-allocation']
  for (const p of paths) t.equal((await app.request(p, { headers: { authorization: `Bearer ${key}` } })).status, 200, `GET ${p} mounted`)
})
