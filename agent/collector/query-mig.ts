import { AgentError } from '../errors.ts'
import { joinMig } from './join-mig.ts'
import { parseListGpus } from './parse-list-gpus.ts'
import { parseQueryMig } from './parse-query-mig.ts'
import { firstLine } from './probe-fields.ts'
import type { RunNvidiaSmi } from './probe-fields.ts'
import type { MigReading } from './snapshot.ts'

/**
 * The MIG devices of the host: `nvidia-smi -L` (profile names, MIG UUIDs) and `nvidia-smi -q`
 * (GPU/compute instance ids, memory per device, processes per instance). --query-gpu has no
 * per-instance fields, and these are the two outputs the real captures show for a MIG host.
 * Only run while a GPU reports MIG enabled: -q is the CLI's slowest report.
 */
export async function queryMig (run: RunNvidiaSmi, now: () => number): Promise<MigReading> {
  const list = await run(['-L'])
  check(list, '-L')
  const query = await run(['-q'])
  check(query, '-q')
  return joinMig(parseListGpus(list.stdout), parseQueryMig(query.stdout), now())
}

function check (result: Awaited<ReturnType<RunNvidiaSmi>>, what: string): void {
  if (result.timedOut) throw new AgentError('NVIDIA_SMI_FAILED', `nvidia-smi ${what} did not answer in time`)
  if (result.exitCode !== 0) {
    throw new AgentError('NVIDIA_SMI_FAILED',
      `nvidia-smi ${what} failed (exit ${result.exitCode}): ${firstLine(result.stderr) || firstLine(result.stdout) || '(no output)'}`)
  }
}
