import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import type { Test } from 'tap'
import { waitUntil } from '../agent/collector/wait-until.ts'
import { defaultSimGpu, defaultSimState, migCaptureGpu, migCaptureProcesses, readSimState, updateSimState, writeSimState } from './sim-state.ts'
import type { SimGpu, SimState } from './sim-state.ts'

const SIM = fileURLToPath(new URL('./nvidia-smi', import.meta.url))
const fixture = (name: string): string => readFileSync(new URL(`../fixtures/nvidia-smi/${name}`, import.meta.url), 'utf8')
const [CAPTURE_HEADER = '', CAPTURE_IDLE = ''] = fixture('query-gpu-h200.csv').split('\n')
const CAPTURE_HEADER_MIG = (fixture('query-gpu-h100-mig.csv').split('\n')[0] ?? '').split(', ').map(h => h.replace(/ \[.*\]$/, ''))
const TIMESTAMP = /^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/

interface Run { stdout: string, stderr: string, code: number | null }

/** Run the simulator to completion with the given state (none: the default host). */
function sim (args: string[], statePath?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(SIM, args, { env: { ...process.env, NVIDIA_SMI_SIM_STATE: statePath ?? '' } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d })
    child.stderr.on('data', (d: Buffer) => { stderr += d })
    child.on('error', reject)
    child.on('close', code => resolve({ stdout, stderr, code }))
  })
}

interface Loop { child: ChildProcess, lines: string[], exit: Promise<{ code: number | null, signal: string | null }> }

/** Start a long-running simulator; its stdout lines accumulate in `lines`. */
function simLoop (t: Test, args: string[], statePath: string): Loop {
  const child = spawn(SIM, args, { env: { ...process.env, NVIDIA_SMI_SIM_STATE: statePath } })
  const lines: string[] = []
  let rest = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (d: string) => {
    const parts = (rest + d).split('\n')
    rest = parts.pop() ?? ''
    lines.push(...parts)
  })
  const exit = new Promise<{ code: number | null, signal: string | null }>(resolve => child.on('exit', (code, signal) => resolve({ code, signal })))
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exit
  })
  return { child, lines, exit }
}

function h200Idle (): SimGpu {
  return {
    ...defaultSimGpu(0),
    name: 'NVIDIA H200',
    uuid: 'GPU-00000000-0000-0000-0000-000000000000',
    serial: '0000000000000',
    pciBusId: '00000000:83:00.0',
    memoryTotalMib: 143771,
    memoryReservedMib: 614,
    temperatureGpu: 28,
    temperatureMemory: 32,
    powerDraw: 77.71,
    powerDrawInstant: 78.21,
    powerLimit: 700,
    smClock: 345,
    memClock: 3201,
  }
}

function stateFile (t: Test, state: SimState): string {
  const path = join(t.testdir(), 'sim.json')
  writeSimState(path, state)
  return path
}

t.test('--query-gpu with every field matches the real H200 idle capture', async t => {
  const path = stateFile(t, { gpus: [h200Idle()], processes: [] })
  const fields = CAPTURE_HEADER.split(', ').map(h => h.replace(/ \[.*\]$/, ''))
  const { stdout, code } = await sim([`--query-gpu=${fields.join(',')}`, '--format=csv'], path)
  t.equal(code, 0)
  const [header, row, extra] = stdout.split('\n')
  t.equal(header, CAPTURE_HEADER, 'header: names, units in brackets, ", " separators')
  t.equal(extra, '', 'one row, newline-terminated')
  const got = (row ?? '').split(', ')
  const want = CAPTURE_IDLE.split(', ')
  t.equal(got.length, want.length)
  fields.forEach((field, i) => {
    if (field === 'timestamp') t.match(got[i], TIMESTAMP, 'timestamp format')
    // free = total − reserved − used; the real driver rounds each from bytes and lands 1 MiB higher.
    else if (field === 'memory.free') t.equal(got[i], '143157 MiB')
    else t.equal(got[i], want[i], field)
  })
})

t.test('nounits strips units from the values (the header keeps them); noheader drops the header', async t => {
  const path = stateFile(t, { gpus: [h200Idle()], processes: [] })
  const q = '--query-gpu=memory.total,power.draw,utilization.gpu,clocks.current.sm,temperature.gpu,power.management'
  t.equal((await sim([q, '--format=csv,nounits'], path)).stdout,
    'memory.total [MiB], power.draw [W], utilization.gpu [%], clocks.current.sm [MHz], temperature.gpu, power.management\n' +
    '143771, 77.71, 0, 345, 28, [Requested functionality has been deprecated]\n')
  t.equal((await sim([q, '--format=csv,noheader'], path)).stdout,
    '143771 MiB, 77.71 W, 0 %, 345 MHz, 28, [Requested functionality has been deprecated]\n')
  t.equal((await sim([q, '--format=csv,noheader,nounits'], path)).stdout,
    '143771, 77.71, 0, 345, 28, [Requested functionality has been deprecated]\n')
})

t.test('aliases print under their canonical names', async t => {
  const path = stateFile(t, { gpus: [h200Idle()], processes: [] })
  const { stdout } = await sim(['--query-gpu=gpu_name,gpu_bus_id,gpu_uuid,clocks.sm,clocks.mem,gpu.power.draw.instant', '--format=csv'], path)
  t.equal(stdout, 'name, pci.bus_id, uuid, clocks.current.sm [MHz], clocks.current.memory [MHz], power.draw.instant [W]\n' +
    'NVIDIA H200, 00000000:83:00.0, GPU-00000000-0000-0000-0000-000000000000, 345 MHz, 3201 MHz, 78.21 W\n')
})

t.test('an unknown field fails like the real CLI: message on stdout, blank line, exit 2', async t => {
  const r = await sim(['--query-gpu=index,xyz', '--format=csv'])
  t.same(r, { stdout: 'Field "xyz" is not a valid field to query.\n\n', stderr: '', code: 2 })
  const apps = await sim(['--query-compute-apps=pid,nope', '--format=csv'])
  t.equal(apps.stdout, 'Field "nope" is not a valid field to query.\n\n')
  t.equal(apps.code, 2)
})

t.test('state.unknownFields: a driver without power.draw.instant rejects it and does not list it', async t => {
  const path = stateFile(t, { ...defaultSimState(), unknownFields: ['power.draw.instant'] })
  const r = await sim(['--query-gpu=index,power.draw.instant', '--format=csv'], path)
  t.equal(r.stdout, 'Field "power.draw.instant" is not a valid field to query.\n\n')
  t.equal(r.code, 2)
  t.equal((await sim(['--query-gpu=gpu.power.draw.instant', '--format=csv'], path)).code, 2, 'its alias too')
  const help = (await sim(['--help-query-gpu'], path)).stdout
  t.notMatch(help, '"power.draw.instant"')
  t.match(help, '"power.draw.average" or "gpu.power.draw.average"')
  t.equal((await sim(['--query-gpu=index,power.draw', '--format=csv,noheader'], path)).code, 0)
})

t.test('default host: 8× B200, 183359 MiB, 1000 W, idle 240–260 W', async t => {
  const { stdout } = await sim(['--query-gpu=index,name,memory.total,power.limit,power.draw,power.draw.instant', '--format=csv,noheader,nounits'])
  const rows = stdout.trim().split('\n').map(l => l.split(', '))
  t.equal(rows.length, 8)
  rows.forEach((r, i) => {
    t.same(r.slice(0, 4), [String(i), 'NVIDIA B200', '183359', '1000.00'])
    for (const w of r.slice(4)) t.ok(Number(w) >= 240 && Number(w) <= 260, `GPU ${i} draws ${w} W`)
  })
})

t.test('a state file is printed exactly; memory follows the processes', async t => {
  const state = defaultSimState()
  const gpu = state.gpus[2] as SimGpu
  Object.assign(gpu, { memoryBaseUsedMib: 500, utilizationGpu: 87, powerDraw: 612.345, overrides: { 'temperature.memory': '[N/A]' } })
  state.processes = [{ gpuIndex: 2, pid: 4242, name: 'vllm', usedMemoryMib: 70_000 }, { gpuIndex: 2, pid: 4243, name: 'ollama', usedMemoryMib: 1000 }]
  const path = stateFile(t, state)
  const { stdout } = await sim(['--query-gpu=memory.used,memory.free,utilization.gpu,power.draw,temperature.memory', '--format=csv,noheader', '-i', '2'], path)
  t.equal(stdout, `71500 MiB, ${183359 - 1047 - 71500} MiB, 87 %, 612.35 W, [N/A]\n`)
})

t.test('-i selects by index, UUID or PCI bus id; an unknown id finds no devices', async t => {
  const indices = async (...ids: string[]): Promise<string> => (await sim(['--query-gpu=index', '--format=csv,noheader', '-i', ids.join(',')])).stdout
  t.equal(await indices('0', '3'), '0\n3\n')
  t.equal(await indices(defaultSimGpu(5).uuid), '5\n')
  t.equal(await indices('00000000:28:00.0'), '1\n')
  t.equal(await indices('0000:38:00.0'), '2\n')
  t.equal((await sim(['--query-gpu=index', '--format=csv,noheader', '--id=7'])).stdout, '7\n')
  const bad = await sim(['--query-gpu=index', '--format=csv', '-i', '9'])
  t.same(bad, { stdout: 'No devices were found\n', stderr: '', code: 6 })
})

t.test('-L, --version and the help texts', async t => {
  const list = await sim(['-L'])
  t.equal(list.stdout.split('\n')[0], `GPU 0: NVIDIA B200 (UUID: ${defaultSimGpu(0).uuid})`)
  t.equal(list.stdout.trim().split('\n').length, 8)
  t.equal((await sim(['--list-gpus', '-i', '4'])).stdout, `GPU 4: NVIDIA B200 (UUID: ${defaultSimGpu(4).uuid})\n`)
  t.equal((await sim(['--version'])).stdout, fixture('version.txt'))
  t.equal((await sim(['--help-query-gpu'])).stdout, fixture('help-query-gpu.txt'))
  t.equal((await sim(['--help-query-compute-apps'])).stdout, fixture('help-query-compute-apps.txt'))
  const bad = await sim(['--frobnicate'])
  t.equal(bad.stdout, "Invalid combination of input arguments. Please run 'nvidia-smi -h' for help.\n")
  t.equal(bad.code, 2)
})

t.test('--query-compute-apps: header only when idle, capture columns, followPid', async t => {
  const state = defaultSimState()
  const path = stateFile(t, state)
  const captureHeader = fixture('query-compute-apps-h200.csv').split('\n')[0]
  const all = '--query-compute-apps=timestamp,gpu_name,gpu_bus_id,gpu_serial,gpu_uuid,pid,process_name,used_gpu_memory'
  t.equal((await sim([all, '--format=csv'], path)).stdout, `${captureHeader}\n`, 'no processes: the header alone')
  t.equal((await sim([all, '--format=csv,noheader'], path)).stdout, '', 'and nothing with noheader')

  const sleeper = spawn('sleep', ['60'])
  const sleeperGone = new Promise(resolve => sleeper.on('exit', resolve))
  t.teardown(() => { sleeper.kill('SIGKILL') })
  updateSimState(path, s => {
    s.processes = [
      { gpuIndex: 1, pid: 10291, name: '/root/tools/memhog', usedMemoryMib: 2566 },
      { gpuIndex: 6, pid: sleeper.pid as number, name: './gpu_burn', usedMemoryMib: 28234, followPid: true },
    ]
  })
  const rows = (await sim([all, '--format=csv,noheader'], path)).stdout.trim().split('\n')
  t.equal(rows.length, 2)
  const cells = (rows[0] ?? '').split(', ')
  t.match(cells[0], TIMESTAMP)
  t.same(cells.slice(1), ['NVIDIA B200', '00000000:28:00.0', '1652000000001', defaultSimGpu(1).uuid, '10291', '/root/tools/memhog', '2566 MiB'])
  const short = '--query-compute-apps=gpu_uuid,pid,process_name,used_gpu_memory'
  t.equal((await sim([short, '--format=csv,noheader,nounits', '-i', '6'], path)).stdout, `${defaultSimGpu(6).uuid}, ${sleeper.pid}, ./gpu_burn, 28234\n`)
  t.equal((await sim(['--query-gpu=memory.used', '--format=csv,noheader,nounits', '-i', '6'], path)).stdout, '28234\n')

  sleeper.kill('SIGTERM')
  await sleeperGone
  t.equal((await sim([short, '--format=csv,noheader,nounits', '-i', '6'], path)).stdout, '', 'gone once its pid exits')
  t.equal((await sim(['--query-gpu=memory.used', '--format=csv,noheader,nounits', '-i', '6'], path)).stdout, '0\n', 'and its memory is free')
})

t.test('loop mode: header once, a row per GPU per tick, state re-read, SIGTERM ends it cleanly', async t => {
  const path = stateFile(t, defaultSimState(2))
  const loop = simLoop(t, ['--query-gpu=index,power.draw', '--format=csv', '-lms', '50'], path)
  await waitUntil(() => loop.lines.length >= 7, 'three ticks')
  t.equal(loop.lines[0], 'index, power.draw [W]')
  t.same(loop.lines.slice(1, 5), ['0, 248.50 W', '1, 249.50 W', '0, 248.50 W', '1, 249.50 W'])
  t.equal(loop.lines.filter(l => l.startsWith('index')).length, 1, 'the header is not repeated')

  updateSimState(path, s => { (s.gpus[1] as SimGpu).powerDraw = 700 })
  await waitUntil(() => loop.lines.includes('1, 700.00 W'), 'the new value')
  loop.child.kill('SIGTERM')
  t.same(await loop.exit, { code: 0, signal: null })
})

t.test('-l N loops in seconds', async t => {
  const path = stateFile(t, defaultSimState(1))
  const loop = simLoop(t, ['--query-gpu=index', '--format=csv,noheader', '-l', '1'], path)
  await waitUntil(() => loop.lines.length >= 2, 'two ticks')
  t.same(loop.lines.slice(0, 2), ['0', '0'])
})

t.test('loop mode: garbage after every N ticks, and never an XID or kernel line (those are in the kernel log, not query output)', async t => {
  const path = stateFile(t, { ...defaultSimState(2), garbageEvery: 2 })
  const loop = simLoop(t, ['--query-gpu=index,memory.used', '--format=csv,noheader,nounits', '-lms', '50'], path)
  await waitUntil(() => loop.lines.length >= 16, 'several ticks')
  t.same(loop.lines.slice(0, 4), ['0, 0', '1, 0', '0, 0', '1, 0'])
  t.notOk(loop.lines.some(l => /Xid|NVRM/.test(l)), 'no XID lines')
  const rows = loop.lines.filter(l => /^[01], 0$/.test(l)).length
  const garbage = loop.lines.filter(l => !/^[01], 0$/.test(l))
  t.ok(garbage.length >= 2, 'garbage lines appear')
  t.ok(Math.abs(garbage.length - Math.floor(rows / 4)) <= 1, `one garbage line per 2 ticks (${garbage.length} for ${rows} rows)`)
})

t.test('mode exit: the driver-failure text on stdout, as the real CLI prints it, and the exit code', async t => {
  const path = stateFile(t, { ...defaultSimState(), mode: 'exit', exitCode: 12, exitMessage: 'NVIDIA-SMI has failed because the NVML shared library could not be found.' })
  t.same(await sim(['--query-gpu=index', '--format=csv'], path), { stdout: 'NVIDIA-SMI has failed because the NVML shared library could not be found.\n', stderr: '', code: 12 })
  updateSimState(path, s => { delete s.exitCode; delete s.exitMessage })
  const r = await sim(['-L'], path)
  t.equal(r.code, 9)
  t.equal(r.stdout, "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n")
  t.equal(r.stderr, '')
})

t.test('a GPU off the bus: one-shot queries print its device-handle error and the other rows, and exit 15', async t => {
  const state = defaultSimState(3)
  ;(state.gpus[1] as SimGpu).lost = true
  const path = stateFile(t, state)
  const q = await sim(['--query-gpu=index,uuid', '--format=csv,noheader'], path)
  t.equal(q.code, 15)
  t.same(q.stdout.split('\n'), [
    'Unable to determine the device handle for GPU 00000000:28:00.0: Unknown Error',
    `0, ${defaultSimGpu(0).uuid}`,
    `2, ${defaultSimGpu(2).uuid}`,
    '',
  ])
  const l = await sim(['-L'], path)
  t.equal(l.code, 15)
  t.match(l.stdout, /GPU 0: NVIDIA B200 .*\nUnable to determine the device handle for GPU 00000000:28:00\.0: Unknown Error\nGPU 2: /)
  updateSimState(path, s => { (s.gpus[1] as SimGpu).lost = 'GPU is lost. Reboot the system to recover this GPU' })
  t.match((await sim(['--query-compute-apps=pid', '--format=csv,noheader'], path)), { code: 15, stdout: 'Unable to determine the device handle for GPU 00000000:28:00.0: GPU is lost. Reboot the system to recover this GPU\n' })
})

t.test('a GPU off the bus under a loop: its error line, then exit 15; a loop started meanwhile never prints it, even once it is back', async t => {
  const path = stateFile(t, defaultSimState(2))
  const before = simLoop(t, ['--query-gpu=index', '--format=csv,noheader', '-lms', '50'], path)
  await waitUntil(() => before.lines.length >= 4, 'two ticks')
  updateSimState(path, s => { (s.gpus[1] as SimGpu).lost = true })
  t.same(await before.exit, { code: 15, signal: null })
  t.equal(before.lines.at(-1), 'Unable to determine the device handle for GPU 00000000:28:00.0: Unknown Error')

  const during = simLoop(t, ['--query-gpu=index', '--format=csv,noheader', '-lms', '50'], path)
  await waitUntil(() => during.lines.length >= 3, 'the error and two ticks')
  t.same(during.lines.slice(0, 3), ['Unable to determine the device handle for GPU 00000000:28:00.0: Unknown Error', '0', '0'])
  updateSimState(path, s => { delete (s.gpus[1] as SimGpu).lost })
  const seen = during.lines.length
  await waitUntil(() => during.lines.length >= seen + 3, 'more ticks')
  t.ok(during.lines.slice(1).every(l => l === '0'), 'GPU 1 stays out of this loop')
  t.equal(during.child.exitCode, null)
})

t.test('hang modes stay alive and silent; a normal loop next to them keeps ticking', async t => {
  const base = defaultSimState(1)
  const dir = t.testdir({})
  const hungPath = join(dir, 'hung.json')
  writeSimState(hungPath, { ...base, mode: 'hang' })
  const hung = simLoop(t, ['--query-gpu=index', '--format=csv,noheader'], hungPath)
  const afterFirstPath = join(dir, 'after-first.json')
  writeSimState(afterFirstPath, { ...base, mode: 'hang-after-first' })
  const afterFirst = simLoop(t, ['--query-gpu=index', '--format=csv', '-lms', '50'], afterFirstPath)
  const normalPath = join(dir, 'normal.json')
  writeSimState(normalPath, base)
  const normal = simLoop(t, ['--query-gpu=index', '--format=csv,noheader', '-lms', '50'], normalPath)
  await waitUntil(() => afterFirst.lines.length >= 2, 'the first tick')
  await waitUntil(() => normal.lines.length >= 10, 'ten ticks from the healthy loop')
  t.same(afterFirst.lines, ['index', '0'], 'hang-after-first: the first tick only')
  t.same(hung.lines, [], 'hang: nothing at all')
  t.equal(hung.child.exitCode, null, 'still running')
  t.equal(afterFirst.child.exitCode, null, 'still running')
  afterFirst.child.kill('SIGTERM')
  t.same(await afterFirst.exit, { code: 0, signal: null }, 'SIGTERM still ends a silent child')
})

t.test('ignoreSigterm: only SIGKILL ends it', async t => {
  const path = stateFile(t, { ...defaultSimState(1), ignoreSigterm: true })
  const loop = simLoop(t, ['--query-gpu=index', '--format=csv,noheader', '-lms', '50'], path)
  await waitUntil(() => loop.lines.length >= 1, 'a tick')
  loop.child.kill('SIGTERM')
  const seen = loop.lines.length
  await waitUntil(() => loop.lines.length >= seen + 3, 'ticks after SIGTERM')
  loop.child.kill('SIGKILL')
  t.same(await loop.exit, { code: null, signal: 'SIGKILL' })
})

t.test('MIG mode from the MIG capture: -L, -q and the --query-gpu cells MIG changes print as the real H100 did', async t => {
  const path = stateFile(t, { gpus: [migCaptureGpu(0)], processes: migCaptureProcesses(0) })
  const list = await sim(['-L'], path)
  t.equal(list.code, 0)
  t.equal(list.stdout, fixture('list-gpus-h100-mig.txt'), '-L: the capture verbatim')

  const report = await sim(['-q'], path)
  t.equal(report.code, 0)
  // What differs from the capture: the time, and free memory, which nvidia-smi derives from
  // bytes (1 MiB more than total − used in the capture) and the simulator from MiB.
  const differs = (l: string): boolean => /^(Timestamp|\s+Free|\s+Serial Number)\s/.test(l)
  const want = fixture('query-q-h100-mig.txt').split('\n')
  const got = report.stdout.split('\n')
  t.equal(got.length, want.length, 'same number of lines')
  t.same(got.filter((l, i) => l !== want[i]).filter(l => !differs(l)), [], 'every other line as captured')

  const fields = ['mig.mode.current', 'mig.mode.pending', 'utilization.gpu', 'utilization.memory', 'utilization.encoder', 'memory.used', 'power.draw']
  const [, load = ''] = fixture('query-gpu-h100-mig.csv').split('\n').slice(1)
  const captured = new Map(CAPTURE_HEADER_MIG.map((h, i) => [h, load.split(', ')[i]]))
  const q = await sim([`--query-gpu=${fields.join(',')}`, '--format=csv,noheader'], path)
  t.same(q.stdout.trim().split(', '), fields.map(f => captured.get(f)), 'the capture\'s load row for these fields')

  const plain = stateFile(t, { gpus: [h200Idle()], processes: [] })
  t.equal((await sim(['--query-gpu=mig.mode.current,utilization.gpu', '--format=csv,noheader,nounits'], plain)).stdout, 'Disabled, 0\n', 'MIG off: Disabled, utilization a number')
  t.match((await sim(['-q'], plain)).stdout, /MIG Mode\n\s+Current\s+: Disabled\n[^\n]*\n\s+Accounting Mode /, '-q without MIG devices')
  t.match((await sim(['-q'], plain)).stdout, /\n {4}Processes {42}: None\n/, 'no processes: None, as the idle capture prints it')
})
