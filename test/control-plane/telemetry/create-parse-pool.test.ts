import t from 'tap'
import { createParsePool, ParseQueueFullError } from '../../../control-plane/telemetry/create-parse-pool.ts'
import { parseIngestBytes } from '../../../control-plane/telemetry/parse-ingest-bytes.ts'
import { parseGpuStatsBody } from '../../../control-plane/telemetry/parse-gpu-stats-body.ts'
import { unpackGpuStats } from '../../../control-plane/telemetry/packed-gpu-stats.ts'

const window = { receivedAt: 1_000_000, oldestMs: 0, newestMs: 2_000_000 }
const enc = (s: string) => new TextEncoder().encode(s)
const CRASHING = new URL('../../fixtures/telemetry/crashing-parse-worker.ts', import.meta.url)

function memoryLog () {
  const lines: Array<{ level: string, msg: string, obj: object }> = []
  return {
    lines,
    log: {
      warn: (obj: object, msg: string) => { lines.push({ level: 'warn', msg, obj }) },
      error: (obj: object, msg: string) => { lines.push({ level: 'error', msg, obj }) },
    },
  }
}

t.test('bad bodies: the same verdict on a worker as inline (status, code, message), nothing parsed', async t => {
  const pool = createParsePool({ size: 1, log: memoryLog().log })
  t.teardown(() => pool.close())
  const bodies = ['', '{', 'null', '[]', '"x"', '{"gpus":{}}', '{"gpus":"x"}', '{"node":{"hostname":5},"gpus":[]}',
    '{"node":"n","gpus":[]}', '\ufeff{"gpus":1}', '{"gpus":[]', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]']
  for (const body of bodies) {
    const onWorker = await pool.parse(enc(body), window)
    t.same(onWorker, parseIngestBytes(enc(body), window), JSON.stringify(body))
    t.equal(onWorker.ok, false, `${JSON.stringify(body)} refused`)
  }
  t.match(await pool.parse(enc(''), window), { ok: false, status: 400, code: 'INVALID_JSON' })
  t.match(await pool.parse(enc('{}'), window), { ok: false, status: 400, code: 'GPUS_REQUIRED' })
  t.match(await pool.parse(enc('{"node":{"hostname":5},"gpus":[]}'), window), { ok: false, status: 400, code: 'INVALID_NODE', message: /^node\.hostname/ })
  // Bytes that are not UTF-8 decode as Request.text() does (U+FFFD), then fail as JSON.
  t.match(await pool.parse(new Uint8Array([0x7b, 0xff, 0xfe]), window), { ok: false, code: 'INVALID_JSON' })
})

t.test('a valid batch through a worker: exactly the samples parseGpuStatsBody makes (nulls, MIG, skipped rows)', async t => {
  const pool = createParsePool({ size: 2, log: memoryLog().log })
  t.teardown(() => pool.close())
  const body = JSON.stringify({
    node: { hostname: 'gpu-01', cluster: 'east' },
    gpus: [
      { gpu_id: 0, name: 'NVIDIA B200', power_draw_w: 612.4, temp_c: 47, memory_used_mb: 173456, memory_total_mb: 183359, utilization_pct: 84, recorded_at: '1970-01-01T00:16:40.500Z', uuid: 'GPU-0', pci_bus_id: '00000000:18:00.0', pstate: 0, ecc_errors_corrected: 3 },
      { gpu_id: 1, name: 'NVIDIA B200', power_draw_w: null, temp_c: null, memory_used_mb: null, memory_total_mb: null, utilization_pct: null, recorded_at: '1970-01-01T00:16:40.500Z', mig_mode: 'Enabled', mig_instances: [] },
      { gpu_id: 2, name: 'NVIDIA B200', temp_c: 151 },
      { gpu_id: 3, name: 'NVIDIA B200', recorded_at: 'yesterday' },
      { gpu_id: 4, name: 'NVIDIA B200', power_draw_w: -0, temp_c: 0, memory_used_mb: 0, memory_total_mb: 0, utilization_pct: 0 },
      // Times that repeat, change and come back (each distinct one is parsed once).
      { gpu_id: 5, name: 'NVIDIA B200', recorded_at: '1970-01-01T00:16:41.500Z', uuid: null },
      { gpu_id: 6, name: 'NVIDIA B200', recorded_at: '1970-01-01T00:16:40.500Z', pci_bus_id: null },
      { gpu_id: 7, name: 'NVIDIA B200', recorded_at: 'yesterday' },
      { gpu_id: 7, name: 'NVIDIA B200', recorded_at: '1970-01-01T00:16:41.500Z' },
    ],
  })
  const outcome = await pool.parse(enc(body), window)
  if (!outcome.ok) throw new Error(`refused: ${outcome.code}`)
  const direct = parseGpuStatsBody(JSON.parse(body), window)
  t.same(unpackGpuStats(outcome.packed), direct)
  t.equal(direct.skipped, 3)
  t.same(direct.samples.map(x => [x.gpuId, x.recordedAt]), [[0, 1_000_500], [1, 1_000_500], [4, 1_000_000], [5, 1_001_500], [6, 1_000_500], [7, 1_001_500]])
  t.equal(unpackGpuStats(outcome.packed).samples[1]!.powerDrawW, null, 'null stays null')
  t.same([...direct.mig.keys()], [1], 'the MIG part travels')
})

t.test('a worker that dies fails the requests it held (retry), is logged, and the next request gets a new worker', async t => {
  const { log, lines } = memoryLog()
  const pool = createParsePool({ size: 1, log, workerUrl: CRASHING })
  t.teardown(() => pool.close())
  t.match(await pool.parse(enc('{"gpus":[]}'), window), { ok: true })
  t.equal(pool.workers(), 1)
  const held = pool.parse(enc('hold'), window)
  const crashed = pool.parse(enc('crash'), window)
  await t.rejects(held, /parse worker exited.*crashed on purpose/)
  await t.rejects(crashed, /parse worker exited/)
  t.equal(pool.workers(), 0, 'the dead worker is gone')
  t.match(lines, [{ level: 'error', msg: /parse worker died/ }])
  t.match(await pool.parse(enc('{"gpus":[]}'), window), { ok: true }, 'a new worker answers')
  t.equal(pool.workers(), 1)
  await t.rejects(pool.parse(enc('exit'), window), /code 7/)
  t.match(await pool.parse(enc('[]'), window), { ok: false, code: 'GPUS_REQUIRED' })
})

t.test('close: the bodies in flight are answered, then every worker ends; later bodies parse inline', async t => {
  const pool = createParsePool({ size: 2, log: memoryLog().log })
  const body = enc(JSON.stringify({ gpus: [{ gpu_id: 0, name: 'B200', power_draw_w: 1, temp_c: 1, memory_used_mb: 1, memory_total_mb: 1, utilization_pct: 1 }] }))
  const inFlight = Array.from({ length: 20 }, () => pool.parse(body.slice(), window))
  const closed = pool.close()
  const outcomes = await Promise.all(inFlight)
  t.ok(outcomes.every(o => o.ok && o.packed.numbers.length > 0), 'every body in flight answered')
  await closed
  t.equal(pool.workers(), 0, 'no worker left')
  t.match(await pool.parse(body, window), { ok: true }, 'after close: inline')
  t.equal(pool.workers(), 0)
})

t.test('past maxInFlightBytes a body is refused at once (the caller answers 503)', async t => {
  const pool = createParsePool({ size: 1, log: memoryLog().log, workerUrl: CRASHING, maxInFlightBytes: 10 })
  t.teardown(() => pool.close())
  const held = pool.parse(enc('hold'), window)
  await t.rejects(pool.parse(enc('{"gpus":[]}'), window), ParseQueueFullError)
  t.match(await pool.parse(enc('[1]'), window), { ok: false, code: 'GPUS_REQUIRED' }, 'room for a small one')
  t.match(await held, { ok: false, code: 'INVALID_JSON' })
  // One body larger than the limit is still taken when nothing else waits.
  t.match(await pool.parse(enc('{"gpus":[], "pad": "0123456789"}'), window), { ok: true })
})

t.test('bodies given in one turn go to a worker together: each gets its own verdict, in any mix', async t => {
  const pool = createParsePool({ size: 1, log: memoryLog().log })
  t.teardown(() => pool.close())
  const row = (i: number) => ({ gpu_id: i, name: 'B200', power_draw_w: i, temp_c: 40, memory_used_mb: 1, memory_total_mb: 2, utilization_pct: 50, recorded_at: '1970-01-01T00:16:40.000Z' })
  const bodies = Array.from({ length: 40 }, (_, i) => i % 5 === 4 ? '{"gpus":' : JSON.stringify({ node: { hostname: `h${i}` }, gpus: [row(i % 8)] }))
  const outcomes = await Promise.all(bodies.map(b => pool.parse(enc(b), window)))
  t.equal(pool.workers(), 1)
  t.same(outcomes, bodies.map(b => parseIngestBytes(enc(b), window)), 'the same verdicts as inline, in order')
  t.equal(outcomes.filter(o => !o.ok).length, 8)
  // The same bytes twice in one turn: the first takes the buffer, the second finds it empty (as before batching).
  const twice = enc(bodies[0]!)
  const [first, second] = await Promise.all([pool.parse(twice, window), pool.parse(twice, window)])
  t.match(first, { ok: true })
  t.match(second, { ok: false, code: 'INVALID_JSON' })
})

t.test('options are checked', async t => {
  t.throws(() => createParsePool({ size: -1, log: memoryLog().log }), /size/)
  t.throws(() => createParsePool({ size: 1.5, log: memoryLog().log }), /size/)
  t.throws(() => createParsePool({ size: 1, log: memoryLog().log, maxInFlightBytes: 0 }), /maxInFlightBytes/)
  t.throws(() => createParsePool({ size: 1, log: memoryLog().log, youngGenerationMb: 0 }), /youngGenerationMb/)
})
