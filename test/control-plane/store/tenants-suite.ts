import type { Test } from 'tap'
import type { Store } from '../../../control-plane/store/store.ts'
import type { JobInput, WaitVerdict } from '../../../control-plane/store/job-repository.ts'
import { planCycle } from '../../../control-plane/scheduling/plan-cycle.ts'
import { addCluster } from '../scheduling/fleet-fixture.ts'
import { freshStore } from './fresh-store.ts'

const T0 = Date.UTC(2026, 4, 9, 0, 0, 0)
const QUEUED: WaitVerdict = { status: 'queued', pendingReason: 'CAPACITY', blockReason: null }

export const jobInput = (clusterId: number, tenantId: number | null, extra: Partial<JobInput> = {}): JobInput => ({
  clusterId, tenantId, name: 'job', kind: 'compute', gpuCount: 1, gpuType: null, priority: 5, submittedBy: null, estimatedDurationMin: null, ...extra,
})

/**
 * The tenant repository contract, run against every engine (SQLite now; PostgreSQL calls this
 * with its own factory). Each subtest gets a fresh store.
 */
export function tenantsSuite (t: Test, openStore: () => Promise<Store>): void {
  const fresh = freshStore(openStore)

  t.test('create: defaults, unique names, metacharacters stored verbatim', async t => {
    const { tenants } = await fresh(t)
    const a = await tenants.create({ name: 'NovAI Labs', gpuQuota: 10 }, T0)
    t.match(a, {
      id: Number, name: 'NovAI Labs', planTier: 'starter', gpuQuota: 10, contactEmail: null, status: 'active', createdAt: T0, updatedAt: T0,
      gpusInUse: 0, runningJobs: 0, queuedJobs: 0, blockedJobs: 0,
    })
    t.equal(await tenants.create({ name: 'NovAI Labs', gpuQuota: 3 }, T0), null, 'duplicate name → null')
    const evil = "Robert'); DROP TABLE tenants; -- %_\\"
    const b = await tenants.create({ name: evil, gpuQuota: 1, contactEmail: 'x@y.z', planTier: 'enterprise', status: 'inactive' }, T0 + 1)
    t.match(b, { name: evil, contactEmail: 'x@y.z', planTier: 'enterprise', status: 'inactive' })
    t.same((await tenants.list()).map(x => x.name), ['NovAI Labs', evil], 'by id')
    t.same((await tenants.list({ id: b!.id })).map(x => x.id), [b!.id], 'narrowed to one')
    t.same(await tenants.list({ id: 999 }), [])
    t.equal(await tenants.get(999), null)
  })

  t.test('update: only given fields change; null clears the email; name clashes and unknown ids refused', async t => {
    const { tenants } = await fresh(t)
    const a = (await tenants.create({ name: 'a', gpuQuota: 4, contactEmail: 'a@x.io', planTier: 'pro' }, T0))!
    await tenants.create({ name: 'b', gpuQuota: 4 }, T0)
    const r = await tenants.update(a.id, { gpuQuota: 20 }, T0 + 5)
    t.match(r, { ok: true, tenant: { name: 'a', gpuQuota: 20, contactEmail: 'a@x.io', planTier: 'pro', updatedAt: T0 + 5, createdAt: T0 } })
    t.match(await tenants.update(a.id, { contactEmail: null, status: 'inactive' }, T0 + 6), { ok: true, tenant: { contactEmail: null, status: 'inactive', gpuQuota: 20 } })
    t.same(await tenants.update(a.id, { name: 'b' }, T0 + 7), { ok: false, reason: 'name_taken' })
    t.match(await tenants.update(a.id, { name: 'a' }, T0 + 7), { ok: true }, 'its own name is not a clash')
    t.same(await tenants.update(999, { gpuQuota: 1 }, T0), { ok: false, reason: 'not_found' })
  })

  t.test('usage is live: GPUs held, running, waiting and blocked jobs', async t => {
    const store = await fresh(t)
    const c = await addCluster(store, 'c', [{ gpus: 4 }], T0)
    const a = (await store.tenants.create({ name: 'a', gpuQuota: 3 }, T0))!
    await store.jobs.submit(jobInput(c.clusterId, a.id, { gpuCount: 2 }), T0, () => QUEUED)
    await store.jobs.submit(jobInput(c.clusterId, a.id, { gpuCount: 2 }), T0, () => QUEUED)
    await store.jobs.submit(jobInput(c.clusterId, a.id, { gpuCount: 9 }), T0, () => ({ status: 'blocked', pendingReason: 'NEVER_FITS_QUOTA', blockReason: 'x' }))
    await store.jobs.runCycle(T0 + 1, 'test', { freshSince: T0 + 1 - 60_000 }, planCycle)
    t.match(await store.tenants.get(a.id), { gpusInUse: 2, runningJobs: 1, queuedJobs: 2, blockedJobs: 2 }, 'the second 2-GPU job waits on quota (blocked)')
  })

  t.test('delete (seed 003): waiting jobs cancelled, all unlinked, running ones too (they run on), in one go', async t => {
    const store = await fresh(t)
    const c = await addCluster(store, 'c', [{ gpus: 4 }], T0)
    const a = (await store.tenants.create({ name: 'a', gpuQuota: 4 }, T0))!
    const other = (await store.tenants.create({ name: 'other', gpuQuota: 4 }, T0))!
    const run = await store.jobs.submit(jobInput(c.clusterId, a.id, { gpuCount: 4 }), T0, () => QUEUED)
    const wait = await store.jobs.submit(jobInput(c.clusterId, a.id), T0, () => QUEUED)
    const keep = await store.jobs.submit(jobInput(c.clusterId, other.id), T0, () => QUEUED)
    await store.jobs.runCycle(T0 + 1, 'test', { freshSince: T0 + 1 - 60_000 }, planCycle)
    if (!run.ok || !wait.ok || !keep.ok) throw new Error('submit failed')
    t.match(await store.jobs.get(run.job.id), { status: 'running' })

    t.same(await store.tenants.delete(a.id, T0 + 4), { ok: true, unlinkedJobs: 2, cancelledJobs: 1 }, 'issue 14: a running job no longer refuses it')
    t.equal(await store.tenants.get(a.id), null)
    t.match(await store.jobs.get(run.job.id), { tenantId: null, status: 'running' }, 'runs on, for no tenant')
    t.match(await store.jobs.get(wait.job.id), { tenantId: null, status: 'cancelled', pendingReason: null, endedAt: T0 + 4 })
    t.match((await store.jobs.eventsOf(wait.job.id, 10)).at(-1), { kind: 'ended', detail: { status: 'cancelled', by: 'tenant_deleted' } })
    t.match(await store.jobs.get(keep.job.id), { tenantId: other.id }, 'other tenants untouched')
    t.same(await store.tenants.delete(a.id, T0 + 5), { ok: false, reason: 'not_found' })
    t.same(await store.billing.getTenant(a.id), { id: a.id, name: 'a', deletedAt: T0 + 4 }, 'billing still knows whom the usage was for')
    const metered = await store.billing.meterIntervals({ from: T0, to: T0 + 10, now: T0 + 10, tenantId: a.id })
    t.same(metered.map(m => [m.jobId, m.start, m.end, m.running]), [1, 2, 3, 4].map(() => [run.job.id, T0 + 1, T0 + 4, false]),
      'its GPU time up to the delete, not after')
  })

  t.test('delete: a deleted tenant\'s id is never given to a new tenant', async t => {
    const store = await fresh(t)
    const a = (await store.tenants.create({ name: 'a', gpuQuota: 1 }, T0))!
    const b = (await store.tenants.create({ name: 'b', gpuQuota: 1 }, T0))!
    t.match(await store.tenants.delete(b.id, T0 + 1), { ok: true })
    const c = (await store.tenants.create({ name: 'c', gpuQuota: 1 }, T0 + 2))!
    t.not(c.id, b.id, 'SQLite would hand out the highest rowid again')
    t.ok(c.id > b.id)
    t.match(await store.tenants.get(c.id), { name: 'c' })
    t.same((await store.tenants.list()).map(x => x.id), [a.id, c.id])
  })

  t.test('delete: another domain\'s reference (an invoice) refuses it whole; nothing is cancelled', async t => {
    const store = await fresh(t)
    const c = await addCluster(store, 'c', [{ gpus: 1 }], T0)
    const a = (await store.tenants.create({ name: 'a', gpuQuota: 4 }, T0))!
    const wait = await store.jobs.submit(jobInput(c.clusterId, a.id, { gpuCount: 9 }), T0, () => ({ status: 'blocked', pendingReason: 'NEVER_FITS_QUOTA', blockReason: 'x' }))
    await store.billing.createInvoice({
      tenantId: a.id, tenantName: 'a', periodStart: T0 - 86_400_000, periodEnd: T0, days: 1, totalGpuMs: 0, unpricedGpuMs: 0,
      amountCents: 0, currency: 'usd', lineItems: [], createdAt: T0,
    })
    t.same(await store.tenants.delete(a.id, T0 + 1), { ok: false, reason: 'referenced' })
    t.match(await store.jobs.get(wait.ok ? wait.job.id : 0), { status: 'blocked', tenantId: a.id }, 'rolled back')
    t.ok(await store.tenants.get(a.id))
  })
}
