import type { Test } from 'tap'
import type { Store } from '../../../control-plane/store/store.ts'
import { MERGE_PIECE_BYTES } from '../../../control-plane/store/sql/sql-job-log-repository.ts'
import { jobInput } from './tenants-suite.ts'
import { freshStore, type StoreFactory } from './fresh-store.ts'

const T0 = Date.UTC(2026, 4, 9, 0, 30)
const RUN = T0 + 1000
const BIG = 1024 * 1024 * 1024
const text = (b: Buffer | undefined) => b?.toString('utf8')

/** The job-log repository contract, run by each engine's test file with its own factory. */
export function jobLogsSuite (t: Test, openStore: StoreFactory): void {
  const fresh = freshStore(openStore)
  const withJob = async (t: Test) => {
    const store = await fresh(t)
    const cluster = await store.fleet.createCluster({ name: 'c', region: 'r' }, T0)
    const r = await store.jobs.submit(jobInput(cluster!.id, null), T0, () => ({ status: 'queued', pendingReason: 'CAPACITY', blockReason: null }))
    if (!r.ok) throw new Error(r.reason)
    return { store, jobId: r.job.id, logs: store.jobLogs }
  }
  const append = (store: Store, jobId: number, offset: number, s: string | Buffer, retain = BIG, run = RUN) =>
    store.jobLogs.append({ jobId, run, offset, bytes: typeof s === 'string' ? Buffer.from(s) : s, at: T0 }, retain)

  t.test('append at the held offset; a replayed prefix is skipped; a gap is refused with what is held', async t => {
    const { store, jobId, logs } = await withJob(t)
    t.equal(await logs.latestRun(jobId), null, 'no log yet')
    t.equal(await logs.read(jobId, RUN), null)
    t.same(await append(store, jobId, 5, 'x'), { ok: false, held: 0 }, 'offset past an empty log')
    t.equal(await logs.latestRun(jobId), null, 'a refused upload writes nothing')
    t.same(await append(store, jobId, 0, 'hello\n'), { ok: true, held: 6 })
    t.same(await append(store, jobId, 6, 'world\n'), { ok: true, held: 12 })
    t.same(await append(store, jobId, 0, 'hello\n'), { ok: true, held: 12 }, 'a whole replay changes nothing')
    t.same(await append(store, jobId, 6, 'world\nagain\n'), { ok: true, held: 18 }, 'an overlapping replay appends only the new part')
    t.same(await append(store, jobId, 30, 'gap'), { ok: false, held: 18 })
    t.equal(await logs.latestRun(jobId), RUN)
    const all = await logs.read(jobId, RUN)
    t.match(all, { run: RUN, dropped: 0, held: 18, from: 0 })
    t.equal(text(all?.bytes), 'hello\nworld\nagain\n')
    const tail = await logs.read(jobId, RUN, 12)
    t.match(tail, { from: 12, held: 18 })
    t.equal(text(tail?.bytes), 'again\n', 'from an offset: the rest only')
    t.equal((await logs.read(jobId, RUN, 18))?.bytes.length, 0, 'from the end: nothing')
  })

  t.test('bytes are stored verbatim (NUL, invalid UTF-8), across merged and separate pieces', async t => {
    const { store, jobId, logs } = await withJob(t)
    const odd = Buffer.from([0, 1, 0xff, 0xfe, 10, 0])
    await append(store, jobId, 0, odd)
    const big = Buffer.alloc(MERGE_PIECE_BYTES, 0x61)
    await append(store, jobId, odd.length, big)
    await append(store, jobId, odd.length + big.length, odd)
    const all = await logs.read(jobId, RUN)
    t.ok(all?.bytes.equals(Buffer.concat([odd, big, odd])), 'read back byte for byte')
  })

  t.test('runs are separate logs; latestRun is the newest', async t => {
    const { store, jobId, logs } = await withJob(t)
    await append(store, jobId, 0, 'first run\n')
    await append(store, jobId, 0, 'second\n', BIG, RUN + 60_000)
    t.equal(await logs.latestRun(jobId), RUN + 60_000)
    t.equal(text((await logs.read(jobId, RUN))?.bytes), 'first run\n')
    t.equal(text((await logs.read(jobId, RUN + 60_000))?.bytes), 'second\n')
  })

  t.test('retention keeps the newest bytes by dropping whole oldest pieces (older runs first); offsets stay absolute', async t => {
    const { store, jobId, logs } = await withJob(t)
    const piece = (c: string) => Buffer.alloc(MERGE_PIECE_BYTES, c)
    const retain = 2 * MERGE_PIECE_BYTES
    await append(store, jobId, 0, piece('o'), retain, RUN - 1) // an older run's log goes first
    await append(store, jobId, 0, piece('a'), retain)
    t.match(await logs.read(jobId, RUN - 1), { dropped: 0, held: MERGE_PIECE_BYTES }, 'at the budget: nothing dropped')
    await append(store, jobId, MERGE_PIECE_BYTES, piece('b'), retain)
    t.match(await logs.read(jobId, RUN - 1), { dropped: MERGE_PIECE_BYTES, held: MERGE_PIECE_BYTES, bytes: Buffer.alloc(0) }, 'the older run went')
    await append(store, jobId, 2 * MERGE_PIECE_BYTES, piece('c'), retain)
    const now = await logs.read(jobId, RUN)
    t.match(now, { dropped: MERGE_PIECE_BYTES, held: 3 * MERGE_PIECE_BYTES, from: MERGE_PIECE_BYTES })
    t.equal(now?.bytes.toString(), 'b'.repeat(MERGE_PIECE_BYTES) + 'c'.repeat(MERGE_PIECE_BYTES))
    t.same(await append(store, jobId, MERGE_PIECE_BYTES, 'b'), { ok: true, held: 3 * MERGE_PIECE_BYTES }, 'a replay into the kept part is still skipped')
    t.same(await append(store, jobId, 0, 'a'), { ok: true, held: 3 * MERGE_PIECE_BYTES }, 'and one into the dropped head too')
    t.match(await logs.read(jobId, RUN, 10), { from: MERGE_PIECE_BYTES }, 'reading the dropped head starts where the log does')
    const huge = Buffer.alloc(3 * MERGE_PIECE_BYTES, 'h')
    await append(store, jobId, 3 * MERGE_PIECE_BYTES, huge, retain)
    t.match(await logs.read(jobId, RUN), { dropped: 3 * MERGE_PIECE_BYTES, held: 6 * MERGE_PIECE_BYTES }, 'the newest piece stays even when over the budget alone')
  })

  t.test('uploads to several jobs at once: each log stays whole and in order', async t => {
    const store = await fresh(t)
    const cluster = await store.fleet.createCluster({ name: 'c', region: 'r' }, T0)
    const ids: number[] = []
    for (let i = 0; i < 3; i++) {
      const r = await store.jobs.submit(jobInput(cluster!.id, null), T0, () => ({ status: 'queued', pendingReason: 'CAPACITY', blockReason: null }))
      if (r.ok) ids.push(r.job.id)
    }
    const lines = Array.from({ length: 20 }, (_, i) => `line ${i}\n`)
    await Promise.all(ids.map(async id => {
      let offset = 0
      for (const l of lines) offset = (await append(store, id, offset, l)).held
    }))
    for (const id of ids) t.equal(text((await store.jobLogs.read(id, RUN))?.bytes), lines.join(''), `job ${id}`)
  })
}
