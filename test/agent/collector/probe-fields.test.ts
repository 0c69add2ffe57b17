import { readFileSync } from 'node:fs'
import t from 'tap'
import { AgentError } from '../../../agent/errors.ts'
import { DESIRED_GPU_FIELDS } from '../../../agent/collector/gpu-fields.ts'
import { probeFields } from '../../../agent/collector/probe-fields.ts'
import type { NvidiaSmiResult } from '../../../agent/collector/run-nvidia-smi.ts'
import { createMemoryLog } from './memory-log.ts'

const HELP = readFileSync(new URL('../../fixtures/nvidia-smi/help-query-gpu.txt', import.meta.url), 'utf8')
const ok = (stdout: string): NvidiaSmiResult => ({ stdout, stderr: '', exitCode: 0, timedOut: false })

/**
 * A driver with two GPUs that knows the fields `known` accepts and prints `help` for
 * --help-query-gpu (which may list more than it knows); it answers like the real CLI,
 * rejecting the first unknown field of a query.
 */
/** A plausible value of each field, shaped as the real CLI prints it. */
function cell (f: string, i: number): string {
  if (f === 'index') return String(i)
  if (f === 'uuid') return `GPU-0000000${i}`
  if (f === 'pstate') return 'P0'
  if (f === 'clocks_event_reasons.active') return '0x0000000000000001'
  if (f === 'remapped_rows.pending' || f === 'remapped_rows.failure') return 'No'
  return f.startsWith('name') || f === 'pci.bus_id' ? '[N/A]' : '1'
}

function fakeDriver (known: (f: string) => boolean, help = HELP) {
  const calls: string[][] = []
  const run = async (args: readonly string[]): Promise<NvidiaSmiResult> => {
    calls.push([...args])
    if (args[0] === '--help-query-gpu') return ok(help)
    const fields = (args[0] ?? '').replace('--query-gpu=', '').split(',')
    const bad = fields.find(f => !known(f))
    if (bad) return { stdout: `Field "${bad}" is not a valid field to query.\n\n`, stderr: '', exitCode: 2, timedOut: false }
    const row = (i: number): string => fields.map(f => cell(f, i)).join(', ')
    return ok(`${row(0)}\n${row(1)}\n`)
  }
  return { run, calls }
}

t.test('a current driver: every wanted field, GPUs in printed order', async t => {
  const { run, calls } = fakeDriver(() => true)
  const r = await probeFields(run, '/usr/bin/nvidia-smi', createMemoryLog())
  t.same(r.fields, [...DESIRED_GPU_FIELDS])
  t.same(r.order, [0, 1])
  t.same(r.gpus.map(g => g.uuid), ['GPU-00000000', 'GPU-00000001'], 'the identity of every GPU')
  t.same(r.lost, [])
  t.equal(calls.length, 2, 'help + one query')
})

t.test('a GPU off the bus at start (exit 15, its device-handle error, the other rows): start with the others', async t => {
  const { run: healthy } = fakeDriver(() => true)
  const run = async (args: readonly string[]): Promise<NvidiaSmiResult> => {
    const r = await healthy(args)
    if (args[0] === '--help-query-gpu') return r
    return { ...r, exitCode: 15, stdout: `Unable to determine the device handle for GPU 0000:3B:00.0: Unknown Error\n${r.stdout.split('\n')[1]}\n` }
  }
  const r = await probeFields(run, '/x', createMemoryLog())
  t.same(r.order, [1])
  t.same(r.lost, [{ pciBusId: '0000:3B:00.0', reason: 'Unknown Error' }])
})

t.test('fields missing from the help text are not queried', async t => {
  const help = HELP.replace(/^"power\.draw\.instant".*\n.*\n/m, '').replace(/^"memory\.reserved"\n.*\n/m, '')
  const { run } = fakeDriver(() => true, help)
  const r = await probeFields(run, '/x', createMemoryLog())
  t.notOk(r.fields.includes('power.draw.instant'))
  t.notOk(r.fields.includes('memory.reserved'))
  t.ok(r.fields.includes('power.draw'))
})

t.test('a field the help lists but the query rejects is dropped, then the query retried', async t => {
  const { run, calls } = fakeDriver(f => f !== 'power.draw.instant' && f !== 'temperature.memory')
  const log = createMemoryLog()
  const r = await probeFields(run, '/x', log)
  t.notOk(r.fields.includes('power.draw.instant'))
  t.notOk(r.fields.includes('temperature.memory'))
  t.equal(calls.length, 4)
  t.equal(log.entries.filter(e => e.level === 'warn').length, 2)
})

t.test('no help text at all: learn field by field', async t => {
  const { run } = fakeDriver(f => f !== 'power.draw.average', '')
  const r = await probeFields(run, '/x', createMemoryLog())
  t.equal(r.fields.length, DESIRED_GPU_FIELDS.length - 1)
})

t.test('without index or memory fields there is nothing to collect', async t => {
  const { run } = fakeDriver(f => f !== 'memory.used')
  await t.rejects(probeFields(run, '/opt/nv/nvidia-smi', createMemoryLog()), { code: 'NVIDIA_SMI_NO_FIELDS', message: /\/opt\/nv\/nvidia-smi.*memory\.used/ })
})

t.test('other failures: driver gone, no GPUs, hung', async t => {
  const gone = async (args: readonly string[]): Promise<NvidiaSmiResult> => args[0] === '--help-query-gpu'
    ? ok(HELP)
    : { stdout: '', stderr: "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n", exitCode: 9, timedOut: false }
  await t.rejects(probeFields(gone, '/x', createMemoryLog()), { code: 'NVIDIA_SMI_FAILED', message: /exit 9.*couldn't communicate/ })
  const none = async (args: readonly string[]): Promise<NvidiaSmiResult> => ok(args[0] === '--help-query-gpu' ? HELP : '')
  await t.rejects(probeFields(none, '/x', createMemoryLog()), { code: 'NVIDIA_SMI_FAILED', message: /no GPUs/ })
  const hung = async (args: readonly string[]): Promise<NvidiaSmiResult> => args[0] === '--help-query-gpu'
    ? ok(HELP)
    : { stdout: '', stderr: '', exitCode: undefined, timedOut: true }
  const err = await probeFields(hung, '/x', createMemoryLog()).catch((e: unknown) => e)
  t.ok(err instanceof AgentError)
  t.match(err, { code: 'NVIDIA_SMI_FAILED', message: /in time/ })
})
