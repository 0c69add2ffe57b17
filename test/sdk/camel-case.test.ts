import t from 'tap'
import { camelize, snakeize } from '../../shared/sdk/camel-case.ts'

t.test('snake ↔ camel for schema keys; data under opaque keys untouched', async t => {
  const wire = { memory_freed_gb: 41.9, memory_before: { used_gb: 44 }, models_unloaded: ['qwen'], gpus: [{ temperature_c: 65 }], detail: { free_gpus_before: 3 }, NVIDIA_H100: 1 }
  t.same(camelize(wire), { memoryFreedGb: 41.9, memoryBefore: { usedGb: 44 }, modelsUnloaded: ['qwen'], gpus: [{ temperatureC: 65 }], detail: { free_gpus_before: 3 }, NVIDIA_H100: 1 })
  t.same(snakeize({ gpuCount: 8, blockReason: null, value: { 'gpu-node-01': 'Lab', someKey: 1 } }), { gpu_count: 8, block_reason: null, value: { 'gpu-node-01': 'Lab', someKey: 1 } })
  t.same(snakeize(camelize({ percent_used: 55, a_b_c: [1] })), { percent_used: 55, a_b_c: [1] }, 'round trip')
})

t.test('a job\'s env names are data: kept as written both ways', async t => {
  const env = { hf_home: '/data', myVar: 'x', HF_TOKEN: 'y' }
  t.same(snakeize({ clusterId: 1, command: ['sh'], env }), { cluster_id: 1, command: ['sh'], env })
  t.same(camelize({ exit_code: 0, env }), { exitCode: 0, env })
})
