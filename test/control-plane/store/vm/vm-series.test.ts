import t from 'tap'
import { encodeBatches, NODE_POWER_SERIES, SAMPLE_SERIES, VM_FIELDS } from '../../../../control-plane/store/vm/vm-series.ts'
import { WIRE_GPU_FIELDS } from '../../../../shared/gpu-fields.ts'
import { noGpuReadings } from '../../../helpers/no-gpu-readings.ts'

const row = (gpuId: number, recordedAt: number, powerDrawW: number | null) => ({
  ...noGpuReadings(), gpuId, recordedAt, name: 'NVIDIA B200', uuid: `GPU-${gpuId}`, pciBusId: null, powerDrawW, tempC: 47,
})

t.test('every stored reading has a dcgm-exporter series name', async t => {
  t.equal(VM_FIELDS.length, WIRE_GPU_FIELDS.length)
  t.same(VM_FIELDS.find(f => f.wire === 'power_draw_w')?.series, 'DCGM_FI_DEV_POWER_USAGE_INSTANT')
  t.same(VM_FIELDS.find(f => f.wire === 'memory_total_mb')?.series, 'DCGM_FI_DEV_FB_TOTAL')
  t.equal(new Set(VM_FIELDS.map(f => f.series)).size, VM_FIELDS.length, 'no two readings share a series')
})

t.test('import lines: one per series, dcgm-exporter and gpufleet labels, null readings absent, tick sums per node', async t => {
  const { body, rows } = encodeBatches([
    { nodeId: 7, clusterId: 2, hostname: 'gpu-a', cluster: 'lab', region: 'eu', samples: [row(0, 1000, 300), row(1, 1000, 200), row(0, 1000, 999), row(1, 1500, null)] },
    { nodeId: 8, clusterId: null, hostname: null, samples: [row(0, 1000, 50)] },
  ])
  t.same(rows.map(r => r.length), [3, 1], 'a row repeated in its batch is stored once (the first)')
  const lines = body.trimEnd().split('\n').map(l => JSON.parse(l) as { metric: Record<string, string>, values: number[], timestamps: number[] })
  const find = (name: string, labels: Record<string, string>) => lines.filter(l => l.metric.__name__ === name && Object.entries(labels).every(([k, v]) => l.metric[k] === v))
  t.same(find('DCGM_FI_DEV_POWER_USAGE_INSTANT', { node_id: '7', gpu: '0' }), [{
    metric: { __name__: 'DCGM_FI_DEV_POWER_USAGE_INSTANT', node_id: '7', cluster_id: '2', Hostname: 'gpu-a', cluster: 'lab', region: 'eu', gpu: '0', modelName: 'NVIDIA B200', UUID: 'GPU-0' },
    values: [300],
    timestamps: [1000],
  }])
  t.same(find('DCGM_FI_DEV_POWER_USAGE_INSTANT', { node_id: '7', gpu: '1' })[0]?.timestamps, [1000], 'no sample where the row had no power')
  t.same(find(SAMPLE_SERIES, { node_id: '7', gpu: '1' })[0]?.timestamps, [1000, 1500], 'a presence sample per stored row')
  t.same(find(NODE_POWER_SERIES, { node_id: '7' }).map(l => [l.values, l.timestamps]), [[[500], [1000]]], 'tick sum of the powered rows; a tick without power has none')
  t.same(find(NODE_POWER_SERIES, { node_id: '8' })[0]?.metric, { __name__: NODE_POWER_SERIES, node_id: '8' }, 'no cluster, no hostname: no such labels')
  t.equal(find('DCGM_FI_DEV_FB_USED', {}).length, 0, 'a reading no row had: no series')
  t.equal(encodeBatches([]).body, '')
})

t.test('a push continuing the node\'s last tick writes the whole tick\'s sum under the next part', async t => {
  const node = { nodeId: 7, clusterId: 2, hostname: 'gpu-a' }
  const first = encodeBatches([{ ...node, samples: [row(0, 1000, 300), row(1, 1000, 200)] }])
  t.same(first.newestTicks.get(7), { at: 1000, gpus: new Set([0, 1]), sumW: 500, part: 0 })
  const second = encodeBatches([{ ...node, samples: [row(2, 1000, 100), row(0, 2000, 50)] }], first.newestTicks)
  const power = second.body.trimEnd().split('\n').map(l => JSON.parse(l)).filter(l => l.metric.__name__ === NODE_POWER_SERIES)
  t.same(power.map(l => [l.metric.part, l.values, l.timestamps]), [['1', [600], [1000]], [undefined, [50], [2000]]])
  t.same(second.newestTicks.get(7), { at: 2000, gpus: new Set([0]), sumW: 50, part: 0 })
  const replay = encodeBatches([{ ...node, samples: [row(0, 1000, 300), row(1, 1000, 200)] }], first.newestTicks)
  t.same(replay.body.trimEnd().split('\n').map(l => JSON.parse(l)).filter(l => l.metric.__name__ === NODE_POWER_SERIES).map(l => [l.metric.part, l.values]),
    [[undefined, [500]]], 'a replay of the same GPUs is no continuation: the same sample again')
})
