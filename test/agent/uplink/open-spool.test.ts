import { readdirSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { openSpool } from '../../../agent/uplink/open-spool.ts'
import type { GpuStatRow } from '../../../shared/wire/gpu-stats.ts'

let seq = 0
/** `n` rows, each with a unique recorded_at so order can be checked. */
function rows (n: number): GpuStatRow[] {
  return Array.from({ length: n }, () => {
    const s = seq++
    return { gpu_id: s % 8, name: 'NVIDIA B200', power_draw_w: 250, temp_c: null, recorded_at: new Date(Date.UTC(2026, 0, 1) + s * 1000).toISOString() }
  })
}
const ats = (list: GpuStatRow[]): string[] => list.map(r => r.recorded_at!)

t.test('FIFO: oldest batch first, a batch leaves only on ack', async t => {
  const spool = await openSpool({ dir: t.testdir(), maxBytes: 1024 * 1024, segmentMaxRows: 10 })
  const a = rows(8); const b = rows(8); const c = rows(8)
  for (const r of [a, b, c]) await spool.append(r)
  t.match(spool.stats(), { samples: 24, segments: 3, dropped: 0, corrupt: 0 })
  const first = (await spool.peek())!
  t.same(ats(first.rows), ats(a))
  spool.release(first)
  t.same(ats((await spool.peek())!.rows), ats(a), 'not acknowledged: still first')
  await spool.ack(first)
  t.same(ats((await spool.peek())!.rows), ats(b))
  t.equal(spool.stats().samples, 16)
  await spool.close()
  await t.rejects(spool.append(rows(1)), /closed/)
})

t.test('one append larger than a segment is split; batches stay bounded', async t => {
  const spool = await openSpool({ dir: t.testdir(), maxBytes: 1024 * 1024, segmentMaxRows: 10 })
  const big = rows(25)
  await spool.append(big)
  const seen: string[] = []
  for (let batch = await spool.peek(); batch; batch = await spool.peek()) {
    t.ok(batch.rows.length <= 10)
    seen.push(...ats(batch.rows))
    await spool.ack(batch)
  }
  t.same(seen, ats(big), 'all rows, in order')
  t.equal(spool.stats().bytes, 0)
  await spool.close()
})

t.test('survives a restart', async t => {
  const dir = t.testdir()
  const first = await openSpool({ dir, maxBytes: 1024 * 1024 })
  const a = rows(8); const b = rows(8)
  await first.append(a)
  await first.append(b)
  const { bytes } = first.stats()
  await first.close()

  const again = await openSpool({ dir, maxBytes: 1024 * 1024 })
  t.match(again.stats(), { samples: 16, bytes })
  t.same(ats((await again.peek())!.rows), [...ats(a), ...ats(b)])
  await again.append(rows(8))
  t.equal(readdirSync(dir).filter(f => f.endsWith('.ndjson')).length, 2, 'a segment from before is never appended to')
  await again.close()
})

t.test('full: the oldest are dropped and counted, the newest kept, never over the cap', async t => {
  const maxBytes = 8192
  const spool = await openSpool({ dir: t.testdir(), maxBytes, segmentMaxBytes: 1024 })
  const all: GpuStatRow[] = []
  for (let i = 0; i < 100; i++) {
    const r = rows(4)
    all.push(...r)
    await spool.append(r)
    t.ok(spool.stats().bytes <= maxBytes)
  }
  const { samples, dropped } = spool.stats()
  t.ok(dropped > 0)
  t.equal(samples + dropped, 400, 'every row is either kept or counted as dropped')
  const kept: string[] = []
  for (let batch = await spool.peek(); batch; batch = await spool.peek()) { kept.push(...ats(batch.rows)); await spool.ack(batch) }
  t.same(kept, ats(all.slice(-samples)), 'what is kept is the newest, in order')
  await spool.close()
})

t.test('the batch being replayed is spared while anything else can be dropped', async t => {
  const spool = await openSpool({ dir: t.testdir(), maxBytes: 4096, segmentMaxBytes: 512 })
  const oldest = rows(2)
  await spool.append(oldest)
  const held = (await spool.peek())!
  for (let i = 0; i < 60; i++) await spool.append(rows(2))
  t.ok(spool.stats().dropped > 0)
  t.same(ats((await spool.peek())!.rows), ats(oldest), 'still there, still first')
  await spool.ack(held)
  t.not(ats((await spool.peek())!.rows)[0], ats(oldest)[0])
  await spool.close()
})

t.test('the batch in flight dropped for room: counted as dropped only if it is not acknowledged after all', async t => {
  // One segment may fill the whole spool (segmentMaxBytes = maxBytes): then nothing but the
  // held batch can make room.
  for (const outcome of ['ack', 'release'] as const) {
    const spool = await openSpool({ dir: t.testdir(), maxBytes: 4096, segmentMaxBytes: 4096 })
    await spool.append(rows(30))
    const held = (await spool.peek())!
    await spool.append(rows(20))
    t.equal(spool.stats().dropped, 30, `${outcome}: the held batch made room`)
    if (outcome === 'ack') await spool.ack(held)
    else spool.release(held)
    t.equal(spool.stats().dropped, outcome === 'ack' ? 0 : 30, outcome === 'ack' ? 'acknowledged: delivered, not lost' : 'not acknowledged: lost, stays counted')
    t.equal(spool.stats().samples, 20)
    await spool.close()
  }
})

t.test('peeking the segment being written seals it: new rows go to a new one', async t => {
  const spool = await openSpool({ dir: t.testdir(), maxBytes: 1024 * 1024 })
  const a = rows(8)
  await spool.append(a)
  const batch = (await spool.peek())!
  const b = rows(8)
  await spool.append(b)
  await spool.ack(batch)
  t.equal(spool.stats().samples, 8)
  t.same(ats((await spool.peek())!.rows), ats(b))
  await spool.close()
})

t.test('a torn last line is skipped and counted; garbage files are ignored', async t => {
  const dir = t.testdir()
  mkdirSync(dir, { recursive: true })
  const a = rows(3); const b = rows(3)
  const line = (r: GpuStatRow[]): string => `${JSON.stringify({ rows: r })}\n`
  writeFileSync(join(dir, 'seg-000000000007.ndjson'), `${line(a)}${line(b)}${line(rows(3)).slice(0, 50)}`)
  writeFileSync(join(dir, 'seg-000000000008.ndjson'), '{"rows":[{"gpu_id"')
  writeFileSync(join(dir, 'notes.txt'), 'not a segment')
  const spool = await openSpool({ dir, maxBytes: 1024 * 1024 })
  t.match(spool.stats(), { samples: 6, corrupt: 2, segments: 1 })
  t.notOk(readdirSync(dir).includes('seg-000000000008.ndjson'), 'a segment with nothing readable is removed')
  t.same(ats((await spool.peek())!.rows), [...ats(a), ...ats(b)])
  await spool.append(rows(1))
  t.ok(readdirSync(dir).includes('seg-000000000009.ndjson'), 'numbering continues after the highest seen')
  await spool.close()
})

t.test('options are checked when built', async t => {
  await t.rejects(openSpool({ dir: t.testdir(), maxBytes: 10 }), /maxBytes/)
  await t.rejects(openSpool({ dir: t.testdir(), maxBytes: 1 << 20, segmentMaxRows: 0 }), /segmentMaxRows/)
})
