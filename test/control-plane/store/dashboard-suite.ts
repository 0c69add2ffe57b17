import type { Test } from 'tap'
import { fleetBuilder, type InsightStore } from './insight-fixture.ts'

const T0 = Date.UTC(2026, 4, 9, 0, 0, 0)
const NOW = T0 + 24 * 3600_000
const MIN = 60_000
const H = 3600_000

/**
 * The dashboard repository contract (cross-domain reads), run against every engine with a
 * fleet built through the real fleet and telemetry repositories plus scheduling rows.
 * `compactedAfterEveryWrite`: the store compacts telemetry after every write
 * (test/helpers/compacting-store.ts); the cases that read no telemetry are skipped there.
 */
export function dashboardSuite (t: Test, open: () => Promise<InsightStore>, { compactedAfterEveryWrite = false } = {}): void {
  // Their answers come from tenants, jobs, holds, invoices and rates only: where telemetry rows
  // live cannot change them, and compacted after each write their fleet's samples cost seconds.
  const noTelemetry = compactedAfterEveryWrite && 'reads no telemetry: where its rows live cannot change its answers'
  /**
   * Node a: 4 H100 (a/0 idle but for one busy minute, a/1 busy, a/2 held earlier by a finished
   * job, a/3 free). Node b: 2 A100 (b/0 held for 10 min at 2 %, busy before; b/1 free with ECC errors).
   */
  async function scenario () {
    const { store, rows } = await open()
    const fleet = fleetBuilder(store)
    const a = await fleet.node({ hostname: 'a', gpus: 4 }, T0)
    const b = await fleet.node({ hostname: 'b', gpus: 2, model: 'NVIDIA A100-SXM4-80GB' }, T0)
    const acme = rows.tenant({ name: 'acme', gpuQuota: 4 })
    const beta = rows.tenant({ name: 'beta', gpuQuota: 2 })
    rows.tenant({ name: 'idle-co', gpuQuota: 8, status: 'inactive' })

    const j1 = rows.job({ clusterId: a.clusterId, tenantId: acme, name: 'train', status: 'running', gpuCount: 2, submittedAt: NOW - 2 * H, startedAt: NOW - 2 * H })
    rows.assign(j1, a.gpuIds[0]!, NOW - 2 * H)
    rows.assign(j1, a.gpuIds[1]!, NOW - 2 * H)
    const j2 = rows.job({ clusterId: b.clusterId, tenantId: beta, name: 'infer', status: 'running', submittedAt: NOW - 10 * MIN, startedAt: NOW - 10 * MIN })
    rows.assign(j2, b.gpuIds[0]!, NOW - 10 * MIN)
    const j3 = rows.job({ clusterId: a.clusterId, tenantId: acme, name: 'old', status: 'running', submittedAt: NOW - 20 * H, startedAt: NOW - 20 * H })
    rows.assign(j3, a.gpuIds[2]!, NOW - 20 * H)
    rows.release(j3, a.gpuIds[2]!, NOW - 18 * H)
    rows.setJobStatus(j3, 'completed', NOW - 18 * H)
    const queued = [
      rows.job({ clusterId: a.clusterId, tenantId: acme, status: 'queued', submittedAt: NOW - 5 * MIN, pendingReason: 'QUOTA' }),
      rows.job({ clusterId: a.clusterId, status: 'blocked', submittedAt: NOW - 4 * MIN, pendingReason: 'OPERATOR_HOLD' }),
      rows.job({ clusterId: a.clusterId, tenantId: beta, status: 'queued', submittedAt: NOW - 3 * MIN }),
    ]

    const spike = (at: number) => (at >= NOW - 25 * MIN && at < NOW - 24 * MIN ? 50 : 5)
    await fleet.samples(a.nodeId, 0, NOW - H, NOW, 10_000, spike)
    await fleet.samples(a.nodeId, 1, NOW - H, NOW, 10_000, 80)
    await fleet.samples(a.nodeId, 2, NOW - 20 * H, NOW - 18 * H, 60_000, 20)
    await fleet.samples(b.nodeId, 0, NOW - H, NOW, 10_000, at => (at < NOW - 10 * MIN ? 90 : 2))
    await fleet.samples(b.nodeId, 1, NOW - 2 * MIN, NOW - MIN, 10_000, 0, { eccErrorsUncorrected: 0 })
    await fleet.samples(b.nodeId, 1, NOW - MIN, NOW, 30_000, 0, { eccErrorsUncorrected: 2 })
    await fleet.samples(a.nodeId, 3, NOW - 2 * MIN, NOW - MIN, 30_000, 0, { eccErrorsUncorrected: 5 })
    await fleet.samples(a.nodeId, 3, NOW - MIN, NOW, 30_000, 0, { eccErrorsUncorrected: 0 })
    return { store, rows, fleet, a, b, acme, beta, j1, j2, j3, queued }
  }

  t.test('heldGpuUtilization: running holds only, clipped to the hold, per-minute peak, tenant filter', async t => {
    const { store, a, b, acme, beta, j1, j2, fleet } = await scenario()
    const held = await store.dashboard.heldGpuUtilization(NOW - 30 * MIN, NOW)
    t.same(held.map(h => [h.gpuId, h.hostname, h.gpuIndex, h.jobId, h.jobName, h.tenantId, h.tenantName, h.samples]), [
      [a.gpuIds[0], 'a', 0, j1, 'train', acme, 'acme', 180],
      [a.gpuIds[1], 'a', 1, j1, 'train', acme, 'acme', 180],
      [b.gpuIds[0], 'b', 0, j2, 'infer', beta, 'beta', 60],
    ], 'the finished job\'s GPU is not held; b/0 counts only since its assignment')
    t.equal(held[0]?.meanPct, (6 * 50 + 174 * 5) / 180)
    t.equal(held[0]?.busiestMinutePct, 50)
    t.same([held[1]?.meanPct, held[1]?.busiestMinutePct], [80, 80])
    t.same([held[2]?.meanPct, held[2]?.busiestMinutePct, held[2]?.assignedAt], [2, 2, NOW - 10 * MIN])
    t.match(held[0], { nodeId: a.nodeId, clusterId: a.clusterId, model: 'NVIDIA H100 80GB HBM3', assignedAt: NOW - 2 * H })

    t.same((await store.dashboard.heldGpuUtilization(NOW - 30 * MIN, NOW, { tenantId: beta })).map(h => h.gpuId), [b.gpuIds[0]])
    const later = await store.dashboard.heldGpuUtilization(NOW + H, NOW + 2 * H)
    t.same(later.map(h => [h.samples, h.meanPct, h.busiestMinutePct]), [[0, null, null], [0, null, null], [0, null, null]], 'no samples: nulls, still listed')
    t.same(held.map(h => h.unknownMinutes), [0, 0, 0])

    // MIG comes on for a/1 (utilization [N/A]): two minutes of nulls, and one null in a read minute.
    await fleet.samples(a.nodeId, 1, NOW, NOW + 2 * MIN, 10_000, null)
    await fleet.samples(a.nodeId, 1, NOW + 2 * MIN, NOW + 3 * MIN, 10_000, at => (at === NOW + 2 * MIN ? null : 70))
    const mixed = (await store.dashboard.heldGpuUtilization(NOW, NOW + 3 * MIN)).find(h => h.gpuId === a.gpuIds[1])
    t.same([mixed?.samples, mixed?.meanPct, mixed?.busiestMinutePct, mixed?.unknownMinutes], [5, 70, 70, 2], 'unknown minutes counted; nulls never averaged in as 0')
  })

  t.test('allocatedMinutes: held GPU-minutes with samples, and the idle ones', async t => {
    const { store } = await scenario()
    t.same(await store.dashboard.allocatedMinutes(NOW - 30 * MIN, NOW, 10), { gpuMinutes: 70, idleGpuMinutes: 39 })
    t.same(await store.dashboard.allocatedMinutes(NOW - 19 * H, NOW - 18 * H + 30 * MIN, 10), { gpuMinutes: 60, idleGpuMinutes: 0 }, 'a finished hold counts for the part in the window')
    t.same(await store.dashboard.allocatedMinutes(NOW - 19 * H, NOW - 18 * H, 25), { gpuMinutes: 60, idleGpuMinutes: 60 })
    t.same(await store.dashboard.allocatedMinutes(NOW + H, NOW + 2 * H, 10), { gpuMinutes: 0, idleGpuMinutes: 0 })
    t.same(await store.dashboard.allocatedMinutes(NOW - 30 * MIN, NOW, 10, 20 * MIN), { gpuMinutes: 60, idleGpuMinutes: 29 },
      'a 20 min grace leaves out b/0, held for 10 min (its 10 idle minutes)')
    t.same(await store.dashboard.allocatedMinutes(NOW - 30 * MIN, NOW, 10, 5 * MIN), { gpuMinutes: 65, idleGpuMinutes: 34 },
      'a 5 min grace leaves out b/0\'s first 5 min only')
  })

  t.test('utilization reads answer the same with telemetry compacted up to any point', async t => {
    const { store } = await scenario()
    const answers = async () => JSON.stringify([
      await store.dashboard.heldGpuUtilization(NOW - 30 * MIN, NOW),
      await store.dashboard.heldGpuUtilization(NOW - 3 * H, NOW),
      await store.dashboard.allocatedMinutes(NOW - 30 * MIN, NOW, 10),
      await store.dashboard.allocatedMinutes(NOW - 19 * H, NOW - 18 * H + 30 * MIN, 10),
      await store.dashboard.allocatedMinutes(NOW - 24 * H, NOW, 10),
      await store.dashboard.tenantUtilization(NOW - 24 * H, NOW),
      await store.dashboard.tenantUtilization(NOW - 24 * H + 17_345, NOW - 7 * MIN + 3),
    ], (_k, v) => (typeof v === 'number' ? Math.round(v * 1e9) / 1e9 : v))
    const raw = await answers()
    for (const cut of [NOW - 19 * H, NOW - 18 * H - 7 * MIN, NOW - 2 * H, NOW - 27 * MIN, NOW - 9 * MIN, NOW + MIN]) {
      for (let more = true; more;) more = (await store.telemetry.compact({ before: cut, limit: 10_000 })).more
      t.equal(await answers(), raw, `compacted up to ${(cut - NOW) / MIN} min`)
    }
  })

  t.test('tenantQuotas, jobCounts, recentJobs', { skip: noTelemetry }, async t => {
    const { store, acme, beta, j3, queued } = await scenario()
    t.same((await store.dashboard.tenantQuotas()).map(q => [q.tenantId, q.name, q.status, q.gpuQuota, q.gpusInUse]), [
      [acme, 'acme', 'active', 4, 2], [beta, 'beta', 'active', 2, 1], [acme + 2, 'idle-co', 'inactive', 8, 0],
    ])
    t.same(await store.dashboard.jobCounts(), { running: 2, queued: 2, blocked: 1 })
    const recent = await store.dashboard.recentJobs(4)
    t.same(recent.map(j => j.id), [queued[2], queued[1], queued[0], j3])
    t.match(recent[1], { status: 'blocked', pendingReason: 'OPERATOR_HOLD', tenantId: null, tenantName: null, gpuCount: 1, priority: 5 })
    t.match(recent[3], { status: 'completed', tenantName: 'acme', endedAt: NOW - 18 * H, startedAt: NOW - 20 * H })
  })

  t.test('gpuStates: live readings, newest sample\'s ECC count, holder', async t => {
    const { store, a, b, acme, j1 } = await scenario()
    const fleet = fleetBuilder(store)
    await fleet.reading(a.gpuIds[0]!, { utilizationPct: 5, temperatureC: 71.5 }, NOW)
    const states = await store.dashboard.gpuStates()
    t.equal(states.length, 6)
    t.match(states[0], { gpuId: a.gpuIds[0], hostname: 'a', nodeStatus: 'online', utilizationPct: 5, temperatureC: 71.5, updatedAt: NOW, jobId: j1, tenantId: acme, eccUncorrected: 0 })
    t.match(states[3], { gpuId: a.gpuIds[3], eccUncorrected: 0, sampleAt: NOW - 30_000, jobId: null }, 'errors in an older sample only')
    t.match(states[5], { gpuId: b.gpuIds[1], eccUncorrected: 2, sampleAt: NOW - 30_000 })
    t.match(states[2], { gpuId: a.gpuIds[2], jobId: null, tenantId: null }, 'released')
  })

  t.test('tenantUtilization over 24 h: exact GPU time by model; mean of one sample per held GPU-minute', async t => {
    const { store, acme, beta } = await scenario()
    const util = await store.dashboard.tenantUtilization(NOW - 24 * H, NOW)
    // Picks: a/0 and a/1 60 minutes with samples each, a/2 120 (one sample a minute); b/0 10.
    t.same(util.map(u => [u.tenantId, u.name, u.usage, u.samples]), [
      [acme, 'acme', [{ gpuModel: 'NVIDIA H100 80GB HBM3', gpuSeconds: 3 * 7200 }], 60 + 60 + 120],
      [beta, 'beta', [{ gpuModel: 'NVIDIA A100-SXM4-80GB', gpuSeconds: 600 }], 10],
    ])
    t.equal(util[0]?.meanPct, (50 + 59 * 5 + 60 * 80 + 120 * 20) / 240, 'a/0\'s busy minute is one pick of 60')
    t.equal(util[1]?.meanPct, 2, 'samples before the hold are not the tenant\'s')
    t.same((await store.dashboard.tenantUtilization(NOW - 24 * H, NOW, { tenantId: beta })).map(u => u.tenantId), [beta])
    t.same((await store.dashboard.tenantUtilization(NOW + H, NOW + 2 * H)).map(u => [u.usage[0]?.gpuSeconds, u.samples, u.meanPct]),
      [[7200, 0, null], [3600, 0, null]], 'open holds count up to the window end; no samples, no mean')
    t.same(await store.dashboard.tenantUtilization(T0 - 2 * H, T0 - H), [])
  })

  t.test('tenantUtilization picks at jittered seconds: a load with a 60 s period does not alias', async t => {
    const { store, rows } = await open()
    const fleet = fleetBuilder(store)
    const a = await fleet.node({ hostname: 'a', gpus: 2 }, T0)
    const acme = rows.tenant({ name: 'acme', gpuQuota: 2 })
    const job = rows.job({ clusterId: a.clusterId, tenantId: acme, status: 'running', gpuCount: 2, submittedAt: NOW - 4 * H })
    for (const g of a.gpuIds) rows.assign(job, g, NOW - 4 * H)
    // Busy the first 30 s of every minute, idle the rest: a fixed second would read 100 % or 0 %.
    for (const i of [0, 1]) await fleet.samples(a.nodeId, i, NOW - 4 * H, NOW, 1000, at => ((at % MIN) < 30_000 ? 100 : 0))
    const [u] = await store.dashboard.tenantUtilization(NOW - 24 * H, NOW)
    t.equal(u?.samples, 2 * 240)
    t.ok(u!.meanPct! > 40 && u!.meanPct! < 60, `mean ${u?.meanPct} ≈ 50`)
  })

  t.test('meteredUsage clips holds to the period; invoices by period end and tenant; rates', { skip: noTelemetry }, async t => {
    const { store, rows, acme, beta } = await scenario()
    t.same(await store.dashboard.meteredUsage(acme, NOW - 24 * H, NOW, NOW), [{ gpuModel: 'NVIDIA H100 80GB HBM3', gpuSeconds: 21600 }])
    t.same(await store.dashboard.meteredUsage(acme, NOW - 90 * MIN, NOW, NOW), [{ gpuModel: 'NVIDIA H100 80GB HBM3', gpuSeconds: 10800 }])
    t.same(await store.dashboard.meteredUsage(acme, NOW - 90 * MIN, NOW, NOW - 30 * MIN), [{ gpuModel: 'NVIDIA H100 80GB HBM3', gpuSeconds: 7200 }], 'open holds end at now')
    t.same(await store.dashboard.meteredUsage(beta, T0 - 24 * H, T0, NOW), [])

    const i1 = rows.invoice({ tenantId: acme, periodStart: NOW - 2 * 24 * H, periodEnd: NOW - 24 * H, amountCents: 1234 })
    rows.invoice({ tenantId: beta, periodStart: NOW - 130 * 24 * H, periodEnd: NOW - 100 * 24 * H, amountCents: 99 })
    const i3 = rows.invoice({ tenantId: beta, periodStart: NOW - 24 * H, periodEnd: NOW, amountCents: 500, status: 'paid' })
    t.same((await store.dashboard.invoices(NOW - 90 * 24 * H)).map(i => [i.id, i.tenantId, i.tenantName, i.amountCents, i.status]), [
      [i1, acme, 'acme', 1234, 'pending'], [i3, beta, 'beta', 500, 'paid'],
    ])
    t.same((await store.dashboard.invoices(NOW - 90 * 24 * H, { tenantId: beta })).map(i => i.id), [i3])
    t.match((await store.dashboard.invoices(NOW - 90 * 24 * H))[0], { periodStart: NOW - 2 * 24 * H, periodEnd: NOW - 24 * H })
    t.same(await store.dashboard.rates(), [
      { gpuType: 'A100', centsPerGpuHour: 221 }, { gpuType: 'A6000', centsPerGpuHour: 128 },
      { gpuType: 'B200', centsPerGpuHour: 599 }, { gpuType: 'H100', centsPerGpuHour: 476 },
    ])
  })

  t.test('an empty store answers empty', async t => {
    const { store } = await open()
    t.same(await store.dashboard.heldGpuUtilization(NOW - 30 * MIN, NOW), [])
    t.same(await store.dashboard.allocatedMinutes(NOW - 30 * MIN, NOW, 10), { gpuMinutes: 0, idleGpuMinutes: 0 })
    t.same(await store.dashboard.tenantQuotas(), [])
    t.same(await store.dashboard.gpuStates(), [])
    t.same(await store.dashboard.jobCounts(), { running: 0, queued: 0, blocked: 0 })
    t.same(await store.dashboard.recentJobs(20), [])
    t.same(await store.dashboard.tenantUtilization(NOW - 24 * H, NOW), [])
    t.same(await store.dashboard.invoices(0), [])
  })
}
