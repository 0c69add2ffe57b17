import t from 'tap'
import { Registry } from 'prom-client'
import { createCheckpointMetrics } from '../../../control-plane/http/create-checkpoint-metrics.ts'

t.test('each checkpoint is timed and the WAL size kept', async t => {
  const registry = new Registry()
  const observe = createCheckpointMetrics(registry)
  observe({ busy: false, walFrames: 1200, checkpointedFrames: 1200, ms: 4 })
  observe({ busy: false, walFrames: -1, checkpointedFrames: -1, ms: 0.5 })
  const text = await registry.metrics()
  t.match(text, /gpufleet_cp_store_checkpoint_duration_seconds_count 2/)
  t.match(text, /gpufleet_cp_store_checkpoint_duration_seconds_bucket\{le="0.001"\} 1/)
  t.match(text, /gpufleet_cp_store_wal_frames 0/, 'no WAL (-1) reads as empty')
})
