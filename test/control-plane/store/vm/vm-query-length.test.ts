import t from 'tap'
import type { VmClient } from '../../../../control-plane/store/vm/create-vm-client.ts'
import { gpuMinutes } from '../../../../control-plane/store/vm/vm-gpu-minutes.ts'
import { createVmTelemetryRepository } from '../../../../control-plane/store/vm/vm-telemetry-repository.ts'

// VictoriaMetrics refuses queries longer than -search.maxQueryLen (16 KiB by default).
const MAX_QUERY_LEN = 16 * 1024

/** A client that answers nothing and records every expression it was asked. */
function recordingClient (knownNodes: number) {
  const asked: string[] = []
  const client: VmClient = {
    importLines: async () => {},
    query: async expr => { asked.push(expr); return [] },
    queryRange: async expr => { asked.push(expr); return [] },
    series: async () => Array.from({ length: knownNodes }, (_, i) => ({ node_id: String(100_000 + i), gpu: '0' })),
    flags: async () => '',
  }
  return { client, asked }
}

t.test('utilization reads over thousands of nodes stay under the query length limit', async t => {
  const { client, asked } = recordingClient(0)
  const gpus = Array.from({ length: 5000 }, (_, i) => ({ nodeId: 100_000 + i, gpuIndex: i % 8 }))
  await gpuMinutes(client, gpus, Date.UTC(2026, 3, 26, 3, 30, 17), Date.UTC(2026, 3, 26, 4, 0, 42))
  t.ok(asked.length >= 3 * Math.ceil(5000 / 300), `split into queries of a few hundred nodes (${asked.length})`)
  t.same(asked.filter(e => e.length > MAX_QUERY_LEN).map(e => e.length), [], 'none too long')
})

t.test('latest: widening windows ask for the missing GPUs\' nodes in short queries', async t => {
  for (const nodes of [60, 2000]) {
    const { client, asked } = recordingClient(nodes)
    const repo = createVmTelemetryRepository({ client, now: () => Date.UTC(2026, 3, 26, 4) })
    t.same(await repo.latest({ hostname: 'h'.repeat(253) }), [])
    t.same(asked.filter(e => e.length > MAX_QUERY_LEN).map(e => e.length), [], `${nodes} nodes: none too long`)
    t.equal(asked.length, nodes === 60 ? 1 + 3 * 3 : 4, nodes === 60 ? 'the first window whole, then 3 chunks of 25 nodes per wider window' : 'past 400 nodes: the scope whole per window')
  }
})
