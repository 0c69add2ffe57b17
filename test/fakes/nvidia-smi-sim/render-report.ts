import type { SimProcess } from '../sim-state.ts'
import { readFixture } from './field-catalog.ts'
import { boardSerial } from './gpu-field-value.ts'
import { liveMigInstances } from './live-mig.ts'
import type { LiveGpu } from './sim-host.ts'

/**
 * `nvidia-smi -q`, built on the real report of the MIG capture (fixture query-q-h100-mig.txt,
 * H100 under load): the parts the simulator models are rewritten per GPU (identity, FB memory,
 * MIG mode, one `MIG Device` block per instance, `Processes`); every other line prints the
 * captured value, as unmodeled --query-gpu fields print the captured sample. Inferred, not
 * captured: GPU blocks of a multi-GPU host follow one another with a blank line between them.
 */

// `    Key` padded so that ` : ` falls where nvidia-smi puts it, per nesting level.
const KEY_WIDTH = 55
const PROCESS_KEY_WIDTH = 42

const entry = (depth: number, key: string, value: string, width = KEY_WIDTH): string =>
  `${' '.repeat(4 * depth)}${key}`.padEnd(width) + `: ${value}`

const mib = (n: number): string => `${Math.round(n)} MiB`

let template: { header: string[], block: string[] } | null = null

function loadTemplate (): { header: string[], block: string[] } {
  if (template !== null) return template
  const lines = readFixture('query-q-h100-mig.txt').split('\n')
  const at = lines.findIndex(l => /^GPU [0-9A-F]{8}:/.test(l))
  let end = lines.length
  while (end > at && lines[end - 1] === '') end--
  template = { header: lines.slice(0, at), block: lines.slice(at, end) }
  return template
}

/** Top-level sections of a GPU block: [name, first line, end line (exclusive)]. */
function sections (block: readonly string[]): Array<[string, number, number]> {
  const starts: Array<[string, number]> = []
  block.forEach((l, i) => {
    const m = /^ {4}(\S[^:]*?)\s*(?::|$)/.exec(l)
    if (m && !l.startsWith('     ')) starts.push([m[1] as string, i])
  })
  return starts.map(([name, i], k) => [name, i, starts[k + 1]?.[1] ?? block.length])
}

/** `patterns`: the template's MIG Device blocks; instance i prints like block i (the last one past the end). */
function migDeviceLines (gpu: LiveGpu, processes: readonly SimProcess[], patterns: ReadonlyArray<readonly string[]>): string[] {
  const out: string[] = []
  for (const m of liveMigInstances(gpu, processes)) {
    let sub = ''
    for (const line of patterns[Math.min(m.migDeviceIndex, patterns.length - 1)] ?? []) {
      const key = /^\s+(\S[^:]*?)\s*(?::|$)/.exec(line)?.[1] ?? ''
      const depth = (line.length - line.trimStart().length) / 4
      if (depth === 2) sub = key
      if (depth === 2 && key === 'Index') out.push(entry(2, key, String(m.migDeviceIndex)))
      else if (depth === 2 && key === 'GPU Instance ID') out.push(entry(2, key, String(m.gpuInstanceId)))
      else if (depth === 2 && key === 'Compute Instance ID') out.push(entry(2, key, String(m.computeInstanceId)))
      else if (depth === 3 && sub === 'Shared FB Memory Usage' && key === 'Total') out.push(entry(3, key, mib(m.memoryTotalMib)))
      else if (depth === 3 && sub === 'Shared FB Memory Usage' && key === 'Used') out.push(entry(3, key, mib(m.memoryUsedMib)))
      else if (depth === 3 && sub === 'Shared FB Memory Usage' && key === 'Free') out.push(entry(3, key, mib(m.memoryFreeMib)))
      else out.push(line)
    }
  }
  return out
}

function processLines (gpu: LiveGpu, processes: readonly SimProcess[]): string[] {
  const mine = processes.filter(p => p.gpuIndex === gpu.index)
  if (mine.length === 0) return [entry(1, 'Processes', 'None')]
  const out = ['    Processes']
  for (const p of mine) {
    const onMig = gpu.mig !== undefined && p.gpuInstanceId !== undefined
    out.push(entry(2, 'GPU instance ID', onMig ? String(p.gpuInstanceId) : 'N/A', PROCESS_KEY_WIDTH))
    out.push(entry(2, 'Compute instance ID', onMig ? '0' : 'N/A', PROCESS_KEY_WIDTH))
    out.push(entry(2, 'Process ID', String(p.pid), PROCESS_KEY_WIDTH))
    out.push(entry(3, 'Type', 'C', PROCESS_KEY_WIDTH))
    out.push(entry(3, 'Name', p.name, PROCESS_KEY_WIDTH))
    out.push(entry(3, 'Used GPU Memory', mib(p.usedMemoryMib), PROCESS_KEY_WIDTH))
  }
  return out
}

function gpuBlock (gpu: LiveGpu, processes: readonly SimProcess[]): string[] {
  const { block } = loadTemplate()
  const out: string[] = [`GPU ${gpu.pciBusId}`]
  const all = sections(block)
  const devices = all.filter(s => s[0] === 'MIG Device').map(([, from, to]) => block.slice(from, to))
  let devicesDone = false
  for (const [name, from, to] of all) {
    const lines = block.slice(from, to)
    switch (name) {
      case 'MIG Mode':
        out.push(lines[0] as string, entry(2, 'Current', gpu.mig ? 'Enabled' : 'Disabled'), entry(2, 'Pending', gpu.mig ? 'Enabled' : 'Disabled'))
        break
      case 'MIG Device':
        // All of this GPU's instances go where the template's four MIG Device blocks were.
        if (!devicesDone) out.push(...migDeviceLines(gpu, processes, devices))
        devicesDone = true
        break
      case 'Processes':
        out.push(...processLines(gpu, processes))
        break
      case 'Product Name': out.push(entry(1, name, gpu.name)); break
      case 'Serial Number': out.push(entry(1, name, boardSerial(gpu))); break
      case 'GPU UUID': out.push(entry(1, name, gpu.uuid)); break
      case 'Minor Number': out.push(entry(1, name, String(gpu.index))); break
      case 'FB Memory Usage':
        out.push(lines[0] as string,
          entry(2, 'Total', mib(gpu.memoryTotalMib)), entry(2, 'Reserved', mib(gpu.memoryReservedMib)),
          entry(2, 'Used', mib(gpu.memoryUsedMib)), entry(2, 'Free', mib(gpu.memoryFreeMib)))
        break
      default:
        out.push(...lines)
    }
  }
  return out
}

/** `Tue Jul 14 09:00:44 2026`, local time, as the report's Timestamp. */
function reportTime (d: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
  const p = (n: number): string => String(n).padStart(2, '0')
  return `${days[d.getDay()]} ${months[d.getMonth()]} ${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${d.getFullYear()}`
}

export function renderReport (gpus: readonly LiveGpu[], processes: readonly SimProcess[], driverVersion: string, now: Date): string {
  const { header } = loadTemplate()
  const head = header.map(l => {
    if (l.startsWith('Timestamp ')) return entry(0, 'Timestamp', reportTime(now))
    if (l.startsWith('Driver Version ')) return entry(0, 'Driver Version', driverVersion)
    if (l.startsWith('Attached GPUs ')) return entry(0, 'Attached GPUs', String(gpus.length))
    return l
  })
  return [...head, ...gpus.flatMap((g, i) => [...(i > 0 ? [''] : []), ...gpuBlock(g, processes)]), '', ''].join('\n')
}
