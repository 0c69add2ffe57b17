import { AgentError } from '../errors.ts'
import { parseGpuLine } from './parse-gpu-line.ts'
import { parseSmiMessage } from './parse-smi-message.ts'
import { firstLine, queryArgs } from './probe-fields.ts'
import type { RunNvidiaSmi } from './probe-fields.ts'
import type { GpuReading } from './snapshot.ts'

export interface OneShotReading {
  recordedAt: number
  monotonicAt: number
  /** Rows in `order`, then any GPU `order` did not know. */
  gpus: GpuReading[]
  /** GPUs in `order` without a row. */
  absent: number[]
  /** Devices nvidia-smi said it could not open. */
  lost: Array<{ pciBusId: string, reason: string }>
  badLines: number
}

/**
 * A fresh one-shot read of the probed fields, independent of the loop (purge before/after).
 * GPUs without a row (one fell off the bus: exit 15 with the others' rows) are named in
 * `absent`, never silently dropped; a read with no GPU row at all, or one that did not
 * finish (hung, or abandoned stuck in the driver), is an error.
 */
export async function readSnapshotOnce (
  run: RunNvidiaSmi,
  fields: readonly string[],
  order: readonly number[],
  clocks: { now: () => number, monotonicNow: () => number },
): Promise<OneShotReading> {
  const result = await run(queryArgs(fields))
  if (result.timedOut) {
    throw new AgentError('NVIDIA_SMI_FAILED', `nvidia-smi did not answer a one-shot query in time${result.abandoned ? ` (pid ${result.pid ?? '?'} outlived SIGKILL and was abandoned: stuck in the driver?)` : ''}`)
  }
  const recordedAt = clocks.now()
  const monotonicAt = clocks.monotonicNow()
  const byIndex = new Map<number, GpuReading>()
  const lost: OneShotReading['lost'] = []
  let badLines = 0
  for (const line of result.stderr.split('\n')) {
    const message = parseSmiMessage(line)
    if (message?.kind === 'gpu-lost') lost.push({ pciBusId: message.pciBusId, reason: message.reason })
  }
  for (const line of result.stdout.split('\n')) {
    if (line.trim() === '') continue
    const message = parseSmiMessage(line)
    if (message?.kind === 'gpu-lost') lost.push({ pciBusId: message.pciBusId, reason: message.reason })
    if (message !== null) continue
    const r = parseGpuLine(fields, line)
    if (r.ok) byIndex.set(r.gpu.index, r.gpu)
    else badLines++
  }
  if (byIndex.size === 0) {
    throw new AgentError('NVIDIA_SMI_FAILED',
      `nvidia-smi one-shot query failed (exit ${result.exitCode}): ${firstLine(result.stdout) || firstLine(result.stderr) || '(no output)'}`)
  }
  const gpus = order.filter(i => byIndex.has(i)).map(i => byIndex.get(i) as GpuReading)
  for (const [index, gpu] of byIndex) if (!order.includes(index)) gpus.push(gpu)
  return { recordedAt, monotonicAt, gpus, absent: order.filter(i => !byIndex.has(i)), lost, badLines }
}
