import { AgentError } from '../errors.ts'
import { parseGpuLine } from './parse-gpu-line.ts'
import { firstLine, queryArgs } from './probe-fields.ts'
import type { RunNvidiaSmi } from './probe-fields.ts'
import type { GpuReading, Snapshot } from './snapshot.ts'

/**
 * A fresh one-shot read of the probed fields, independent of the loop (purge before/after).
 * It must cover every GPU in `order`: a partial read is an error, never a partial snapshot.
 */
export async function readSnapshotOnce (
  run: RunNvidiaSmi,
  fields: readonly string[],
  order: readonly number[],
  now: () => number,
): Promise<{ snapshot: Snapshot, badLines: number }> {
  const result = await run(queryArgs(fields))
  if (result.timedOut) throw new AgentError('NVIDIA_SMI_FAILED', 'nvidia-smi did not answer a one-shot query in time')
  const recordedAt = now()
  const byIndex = new Map<number, GpuReading>()
  let badLines = 0
  for (const line of result.stdout.split('\n')) {
    if (line.trim() === '') continue
    const r = parseGpuLine(fields, line)
    if (r.ok) byIndex.set(r.gpu.index, r.gpu)
    else badLines++
  }
  if (byIndex.size === 0) {
    throw new AgentError('NVIDIA_SMI_FAILED',
      `nvidia-smi one-shot query failed (exit ${result.exitCode}): ${firstLine(result.stderr) || firstLine(result.stdout) || '(no output)'}`)
  }
  const missing = order.filter(i => !byIndex.has(i))
  if (missing.length > 0) throw new AgentError('NVIDIA_SMI_FAILED', `nvidia-smi one-shot query had no row for GPU ${missing.join(', ')}`)
  return { snapshot: { recordedAt, gpus: order.map(i => byIndex.get(i) as GpuReading) }, badLines }
}
