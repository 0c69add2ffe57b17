import t from 'tap'
import { purgeRecommendation } from '../../../agent/purge/purge-recommendation.ts'
import type { PurgeOutcome } from '../../../agent/purge/purge-recommendation.ts'

const clean: PurgeOutcome = { unreachable: [], busyLeft: [], failed: [], listed: 2, adapters: 2, residual: null, settled: true, settleMs: 15_000 }

t.test('all clear: seed 004\'s line verbatim', async t => {
  t.equal(purgeRecommendation(clean), 'GPU memory cleared successfully')
})

t.test('most urgent first, every problem named', async t => {
  const text = purgeRecommendation({
    ...clean,
    unreachable: [{ name: 'ollama', target: 'http://127.0.0.1:11434' }, { name: 'triton', target: 'http://127.0.0.1:8000' }],
    busyLeft: ['vllm llama-3-70b', 'triton bert'],
    failed: [{ label: 'process python (pid 7)', forceHelps: true }],
    residual: { pid: 9, name: 'trainer', mib: 30_720, totalMib: 30_720, count: 1 },
  })
  t.equal(text, [
    'Could not query ollama (http://127.0.0.1:11434) and triton (http://127.0.0.1:8000): check that they are running and reachable from the agent, then purge again.',
    '2 models in use were left loaded (vllm llama-3-70b, triton bert): retry with force: true to stop their requests and unload them.',
    '1 unload failed (process python (pid 7)): retry with force: true, or fix the cause listed in errors.',
  ].join(' '), 'unmanaged memory is not blamed while runtimes still hold theirs')
})

t.test('memory held by processes no adapter manages: the biggest is named', async t => {
  t.equal(purgeRecommendation({ ...clean, residual: { pid: 4242, name: 'python', mib: 38_912, totalMib: 40_000, count: 2 } }),
    'GPU memory is still held by processes purge does not manage (2 processes, 39.1 GB in all); the biggest is pid 4242 (python, 38.0 GB). Stop them, or add their executables to --purge-process-allow (a full path, or name:<file>) so purge may terminate them.')
})

t.test('nothing loaded, with and without runtimes configured', async t => {
  t.match(purgeRecommendation({ ...clean, listed: 0, adapters: 0 }), /^Nothing was loaded: no model runtime is configured/)
  t.equal(purgeRecommendation({ ...clean, listed: 0 }), 'Nothing was loaded: no configured runtime reported a model and no allow-listed process held GPU memory.')
})

t.test('an unsettled read is flagged even when all went well', async t => {
  t.equal(purgeRecommendation({ ...clean, settled: false, settleMs: 15_000 }),
    'GPU memory had not settled when the purge stopped waiting (15s), so memory_after may be high; read GET /v1/gpu/memory again shortly.')
})
