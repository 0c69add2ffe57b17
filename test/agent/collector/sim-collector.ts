import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { createCollector } from '../../../agent/collector/create-collector.ts'
import type { CollectorOptions } from '../../../agent/collector/collector-options.ts'
import type { Snapshot } from '../../../agent/collector/snapshot.ts'
import { writeSimState } from '../../fakes/sim-state.ts'
import type { SimState } from '../../fakes/sim-state.ts'
import { createMemoryLog } from './memory-log.ts'

/** The fake nvidia-smi executable: the real spawn/parse path runs against it. */
export const SIM = fileURLToPath(new URL('../../fakes/nvidia-smi', import.meta.url))

/** A collector on the real simulator with `state`; stopped when the test ends. */
export function simCollector (t: Test, state: SimState, options: Partial<CollectorOptions> = {}) {
  const statePath = join(t.testdir(), 'sim.json')
  writeSimState(statePath, state)
  const log = createMemoryLog()
  const collector = createCollector({
    nvidiaSmiPath: SIM,
    intervalMs: 200,
    computeAppsIntervalMs: 60_000,
    log,
    env: { NVIDIA_SMI_SIM_STATE: statePath },
    backoff: { initialMs: 100, maxMs: 1000 },
    ...options,
  })
  const snapshots: Snapshot[] = []
  collector.onSnapshot(s => snapshots.push(s))
  t.teardown(() => collector.stop())
  return { collector, log, snapshots, statePath }
}
