import { AgentError } from '../errors.ts'
import { COMPUTE_APPS_FIELDS } from './gpu-fields.ts'
import { parseComputeAppLine } from './parse-compute-apps.ts'
import { firstLine } from './probe-fields.ts'
import type { RunNvidiaSmi } from './probe-fields.ts'
import type { ComputeApp, ComputeAppsReading } from './snapshot.ts'

export const COMPUTE_APPS_ARGS = [`--query-compute-apps=${COMPUTE_APPS_FIELDS.join(',')}`, '--format=csv,noheader,nounits']

/** One `--query-compute-apps` run → the processes holding GPU memory now. */
export async function queryComputeApps (run: RunNvidiaSmi, now: () => number): Promise<{ reading: ComputeAppsReading, badLines: number }> {
  const result = await run(COMPUTE_APPS_ARGS)
  if (result.timedOut) throw new AgentError('NVIDIA_SMI_FAILED', 'nvidia-smi --query-compute-apps did not answer in time')
  if (result.exitCode !== 0) {
    throw new AgentError('NVIDIA_SMI_FAILED',
      `nvidia-smi --query-compute-apps failed (exit ${result.exitCode}): ${firstLine(result.stderr) || firstLine(result.stdout) || '(no output)'}`)
  }
  const apps: ComputeApp[] = []
  let badLines = 0
  for (const line of result.stdout.split('\n')) {
    const r = parseComputeAppLine(line)
    if (!r.ok) badLines++
    else if (r.app) apps.push(r.app)
  }
  return { reading: { readAt: now(), apps }, badLines }
}
