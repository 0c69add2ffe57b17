import t from 'tap'
import { parsePrometheusText } from '../../../agent/purge/parse-prometheus-text.ts'

t.test('vLLM exposition: colons in names, several labels, HELP/TYPE skipped', async t => {
  const text = [
    '# HELP vllm:num_requests_running Number of requests in model execution batches.',
    '# TYPE vllm:num_requests_running gauge',
    'vllm:num_requests_running{engine="0",model_name="meta-llama/Llama-3-70B"} 3.0',
    'vllm:num_requests_running{engine="1",model_name="meta-llama/Llama-3-70B"} 2.0',
    'vllm:num_requests_waiting{model_name="meta-llama/Llama-3-70B"} 1.0',
    'process_resident_memory_bytes 2.147483648e+09',
  ].join('\n')
  t.same(parsePrometheusText(text), [
    { name: 'vllm:num_requests_running', labels: { engine: '0', model_name: 'meta-llama/Llama-3-70B' }, value: 3 },
    { name: 'vllm:num_requests_running', labels: { engine: '1', model_name: 'meta-llama/Llama-3-70B' }, value: 2 },
    { name: 'vllm:num_requests_waiting', labels: { model_name: 'meta-llama/Llama-3-70B' }, value: 1 },
    { name: 'process_resident_memory_bytes', labels: {}, value: 2147483648 },
  ])
})

t.test('Triton exposition, escapes, timestamps, special values', async t => {
  const text = [
    'nv_inference_pending_request_count{model="resnet50",version="1"} 4 1712345678000',
    'odd{path="C:\\\\models\\"x\\"",note="a\\nb"} 1',
    'bucket{le="+Inf"} +Inf',
    'ratio NaN',
  ].join('\r\n')
  const samples = parsePrometheusText(text)
  t.same(samples[0], { name: 'nv_inference_pending_request_count', labels: { model: 'resnet50', version: '1' }, value: 4 })
  t.same(samples[1]?.labels, { path: 'C:\\models"x"', note: 'a\nb' })
  t.equal(samples[2]?.value, Number.POSITIVE_INFINITY)
  t.ok(Number.isNaN(samples[3]?.value))
})

t.test('lines that do not parse are skipped, not guessed at', async t => {
  const text = [
    'good 1',
    'no_value',
    'bad_value{a="b"} twelve',
    'unclosed{a="b 1',
    '{no_name="x"} 1',
    'also_good{a="b",} 2',
  ].join('\n')
  t.same(parsePrometheusText(text).map(s => [s.name, s.value]), [['good', 1], ['also_good', 2]])
})
