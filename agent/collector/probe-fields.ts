import { AgentError } from '../errors.ts'
import type { CollectorLog } from './collector-options.ts'
import { DESIRED_GPU_FIELDS, MANDATORY_GPU_FIELDS } from './gpu-fields.ts'
import { parseGpuLine } from './parse-gpu-line.ts'
import { parseHelpQuery } from './parse-help-query.ts'
import { parseInvalidField } from './parse-invalid-field.ts'
import { parseSmiMessage } from './parse-smi-message.ts'
import type { GpuReading } from './snapshot.ts'
import type { NvidiaSmiResult } from './run-nvidia-smi.ts'

export type RunNvidiaSmi = (args: readonly string[]) => Promise<NvidiaSmiResult>

export interface ProbeResult {
  /** Fields to query, in column order. */
  fields: string[]
  /** GPU indices in the order nvidia-smi prints them. */
  order: number[]
  /** The probe query's readings (identity of every GPU: uuid, bus id, name). */
  gpus: GpuReading[]
  /** Devices nvidia-smi could not open (`Unable to determine the device handle …`). */
  lost: Array<{ pciBusId: string, reason: string }>
}

export const firstLine = (text: string): string => text.trim().split('\n')[0]?.slice(0, 300) ?? ''

export function queryArgs (fields: readonly string[]): string[] {
  return [`--query-gpu=${fields.join(',')}`, '--format=csv,noheader,nounits']
}

/** The GPU rows of a one-shot query, in printed order (lines that do not parse skipped). */
export function parseGpuRows (fields: readonly string[], stdout: string): GpuReading[] {
  const rows: GpuReading[] = []
  for (const line of stdout.split('\n')) {
    const r = parseGpuLine(fields, line)
    if (r.ok && !rows.some(g => g.index === r.gpu.index)) rows.push(r.gpu)
  }
  return rows
}

/** The devices a run's output says nvidia-smi could not open. */
export function lostDevices (output: string): Array<{ pciBusId: string, reason: string }> {
  const lost: Array<{ pciBusId: string, reason: string }> = []
  for (const line of output.split('\n')) {
    const m = parseSmiMessage(line)
    if (m?.kind === 'gpu-lost') lost.push({ pciBusId: m.pciBusId, reason: m.reason })
  }
  return lost
}

/** GPU indices of a one-shot query's rows, in printed order (rows that do not parse skipped). */
export function gpuOrder (fields: readonly string[], stdout: string): number[] {
  const order: number[] = []
  for (const line of stdout.split('\n')) {
    const r = parseGpuLine(fields, line)
    if (r.ok && !order.includes(r.gpu.index)) order.push(r.gpu.index)
  }
  return order
}

/**
 * Learn once which of the wanted fields this driver has: the names `--help-query-gpu` lists,
 * then a real query, dropping any field the driver still rejects ("not a valid field"), until
 * one succeeds. That query also tells which GPUs there are and in what order they print.
 */
export async function probeFields (run: RunNvidiaSmi, path: string, log: CollectorLog): Promise<ProbeResult> {
  let fields: string[] = [...DESIRED_GPU_FIELDS]
  const help = await run(['--help-query-gpu'])
  const known = help.exitCode === 0 ? parseHelpQuery(help.stdout) : new Map<string, string>()
  // Some builds may lack the help text; the query below still finds out field by field.
  if (known.size > 0) fields = fields.filter(f => known.has(f))

  for (;;) {
    const missing = MANDATORY_GPU_FIELDS.filter(f => !fields.includes(f))
    if (missing.length > 0) {
      throw new AgentError('NVIDIA_SMI_NO_FIELDS',
        `nvidia-smi at ${path} does not support ${missing.join(', ')}, which the agent needs; usable fields: ${fields.join(', ') || 'none'}`)
    }
    const result = await run(queryArgs(fields))
    if (result.timedOut) throw new AgentError('NVIDIA_SMI_FAILED', `nvidia-smi at ${path} did not answer a query in time (driver hung?)`)
    const rejected = parseInvalidField(`${result.stdout}\n${result.stderr}`)
    const gpus = rejected === null ? parseGpuRows(fields, result.stdout) : []
    // Exit 15 (a GPU fell off the bus) still prints the other GPUs: start with those.
    if (result.exitCode === 0 || gpus.length > 0) {
      if (gpus.length === 0) {
        throw new AgentError('NVIDIA_SMI_FAILED', `nvidia-smi at ${path} reported no GPUs: ${firstLine(result.stdout) || '(no output)'}`)
      }
      const dropped = DESIRED_GPU_FIELDS.filter(f => !fields.includes(f))
      const lost = lostDevices(`${result.stdout}\n${result.stderr}`)
      log.info({ fields, dropped, gpus: gpus.length, lost }, 'nvidia-smi fields probed')
      return { fields, order: gpus.map(g => g.index), gpus, lost }
    }
    const name = rejected === null ? undefined : fields.find(f => f === rejected || known.get(rejected) === f)
    if (name === undefined) {
      throw new AgentError('NVIDIA_SMI_FAILED',
        `nvidia-smi at ${path} failed (exit ${result.exitCode}): ${firstLine(result.stderr) || firstLine(result.stdout) || '(no output)'}`)
    }
    log.warn({ field: name }, 'nvidia-smi rejected a field; querying without it')
    fields = fields.filter(f => f !== name)
  }
}
