import t from 'tap'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { format } from 'node:util'
import { AgentClient } from '../../shared/sdk/agent-client.ts'
import { eventually, startLiveFleet } from './live-fleet.ts'

// Seed 004's JavaScript examples, taken from the seed text itself and run verbatim: the only
// thing supplied is the `client` they assume, built with the live agent's URL and key.
const SEED = readFileSync(resolve(import.meta.dirname, '../fixtures/seed-004/004_2a9c4a15d30ddcfc.txt'), 'utf8')
const snippets = SEED.split('\nExample\n').slice(1)
  .map(block => block.split('\nResponse\n')[0] ?? '')
  .filter(code => code.includes('await client.'))

const AsyncFunction = (async () => {}).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<void>

async function runSnippet (code: string, client: AgentClient): Promise<string[]> {
  const lines: string[] = []
  const console = { log: (...args: unknown[]) => { lines.push(format(...args)) } }
  await new AsyncFunction('client', 'console', code)(client, console)
  return lines
}

t.test('seed 004 snippets run verbatim against a live agent on the simulator', async t => {
  t.equal(snippets.length, 2, 'the seed has two client examples (memory, purge)')
  const fleet = await startLiveFleet(t, { agent: true })
  const client = new AgentClient({ baseUrl: fleet.agentUrl, apiKey: fleet.rootKey })
  t.teardown(() => client.close())

  const status = await eventually(async () => {
    const s = await client.getGPUStatus()
    return s.processes.length > 0 ? s : undefined
  })
  t.equal(status.totalGpus, 8)
  t.match(status.gpus[0], { index: 0, name: 'NVIDIA B200', memory: { usedMb: 40960, usedGb: 40, totalMb: Number, percentUsed: Number }, utilization: { gpuPercent: Number }, temperatureC: Number })
  t.same(status.processes.map(p => [p.name, p.memoryMb]), [['/usr/local/bin/ollama', 40960]], 'processes in camelCase (memoryMb)')

  const memoryOut = await runSnippet(snippets[0] ?? '', client)
  t.equal(memoryOut.length, 8, 'one line per GPU')
  t.match(memoryOut[0], /^GPU 0: 40GB \/ \d+(\.\d)?GB \(\d+(\.\d)?%\)$/, String(memoryOut[0]))
  t.notOk(memoryOut.some(l => l.includes('undefined')), 'every field the snippet reads exists')

  const purgeOut = await runSnippet(snippets[1] ?? '', client)
  t.same(purgeOut, ['Freed 40GB', "Unloaded models: [ 'qwen-3.5-27b' ]", 'GPU memory cleared successfully'])

  const after = await client.getGPUMemory()
  t.equal(after.memory[0]?.usedGb, 0, 'the memory is really free')
})
