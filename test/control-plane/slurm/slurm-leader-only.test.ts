import t from 'tap'
import { Hono } from 'hono'
import pino from 'pino'
import { Registry } from 'prom-client'
import { listenFake } from '../../fakes/runtimes/listen-fake.ts'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import { parseControlPlaneConfig } from '../../../control-plane/config.ts'
import { productParts } from '../../../control-plane/product-parts.ts'
import { runWhileLeader } from '../../../control-plane/loops/run-while-leader.ts'
import { createLeaderListeners } from '../../../control-plane/loops/create-leader-listeners.ts'
import type { LeaderLease } from '../../../control-plane/loops/leader-lease.ts'

/** A lease the test hands out and takes back. */
function handLease (): LeaderLease & { set: (leader: boolean) => void } {
  const listeners = createLeaderListeners()
  let leader = false
  return {
    async start () {},
    async stop () { if (leader) { leader = false; listeners.emit(false) } },
    isLeader: () => leader,
    onChange: listeners.add,
    status: () => ({ mode: 'advisory_lock', leader, since: null, gains: 0, losses: 0, lastError: null }),
    set (l: boolean) { leader = l; listeners.emit(l) },
  }
}

t.test('the product\'s Slurm import runs on the leader only, with the token sent server side', async t => {
  const asks: Array<{ path: string, token: string | undefined, user: string | undefined }> = []
  const slurmrestd = new Hono()
  slurmrestd.get('/slurmdb/v0.0.38/jobs', c => {
    asks.push({ path: c.req.path, token: c.req.header('x-slurm-user-token'), user: c.req.header('x-slurm-user-name') })
    return c.json({ errors: [], jobs: [{ job_id: 5, cluster: 'c', state: { current: 'COMPLETED' }, time: { submission: 1, start: 1_800_000_000, end: 1_800_003_600 }, tres: { allocated: [{ type: 'gres', name: 'gpu', count: 4 }] } }] })
  })
  const fake = await listenFake(slurmrestd)
  t.teardown(() => fake.close())
  const store = await openSqliteStore(':memory:')
  t.teardown(() => store.close())
  const config = parseControlPlaneConfig({ slurmRestUrl: fake.url, slurmToken: 'h.p.s', slurmRestUser: 'gpufleet', slurmInterval: '1h' })
  const log = pino({ level: 'silent' })
  const loops = productParts().loops.map(make => make({ config, store, log, now: Date.now, registry: new Registry() }))
  const lease = handLease()
  const gate = runWhileLeader(lease, loops, log)
  await gate.start()
  await new Promise(r => setTimeout(r, 200))
  t.same(asks, [], 'a follower does not import')

  lease.set(true)
  await gate.settled()
  for (let i = 0; i < 50 && asks.length === 0; i++) await new Promise(r => setTimeout(r, 20))
  t.match(asks, [{ path: '/slurmdb/v0.0.38/jobs', token: 'h.p.s', user: 'gpufleet' }], 'the leader imports at once')
  for (let i = 0; i < 50 && (await store.slurm.listJobs({ since: 0, until: 8.64e15 })).length === 0; i++) await new Promise(r => setTimeout(r, 20))
  t.match(await store.slurm.listJobs({ since: 0, until: 8.64e15 }), [{ cluster: 'c', jobId: 5, gpus: 4, final: true }])
  t.match(await store.slurm.getImportState(fake.url), { lastSuccessAt: Number, lastError: null })

  lease.set(false)
  await gate.settled()
  await gate.stop()
  t.equal(asks.length, 1, 'no import after the lease is lost')
})
