import { readFileSync } from 'node:fs'
import type { ComputeAppsReading, GpuReading, Snapshot } from '../../agent/collector/snapshot.ts'
import type { CollectorHealth, GpuSource } from '../../agent/gpu-source.ts'
import { readSimState } from '../fakes/sim-state.ts'
import type { SimProcess, SimState } from '../fakes/sim-state.ts'

export interface SimGpuSource extends GpuSource {
  /** Make every following read fail with this error (null: read normally again). */
  setReadError: (err: Error | null) => void
  /** readNow() calls so far. */
  reads: () => number
}

/**
 * A GpuSource that reads the nvidia-smi simulator's state file directly, applying the
 * simulator's rules (used = base + that GPU's processes; a `followPid` process vanishes when
 * its real pid exits). For tests of code that only needs GPU readings, like purge; the real
 * collector path (spawning the simulator) has its own tests.
 */
export function createSimGpuSource (simStatePath: string, options: { now?: () => number } = {}): SimGpuSource {
  const now = options.now ?? Date.now
  let readError: Error | null = null
  let reads = 0
  let latest: Snapshot | null = null
  let apps: ComputeAppsReading | null = null
  const listeners = new Set<(snapshot: Snapshot) => void>()

  function load (): SimState {
    if (readError !== null) throw readError
    const state = readSimState(simStatePath)
    return { ...state, processes: state.processes.filter(p => !p.followPid || pidAlive(p.pid)) }
  }

  return {
    latest: () => latest,
    onSnapshot (listener) {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    },
    computeApps: () => apps,
    async refreshComputeApps () {
      const state = load()
      apps = {
        readAt: now(),
        apps: state.processes.map(p => ({ gpuUuid: state.gpus.find(g => g.index === p.gpuIndex)?.uuid ?? '', pid: p.pid, processName: p.name, usedMemoryMib: p.usedMemoryMib })),
      }
      return apps
    },
    async readNow () {
      reads++
      const state = load()
      latest = { recordedAt: now(), gpus: state.gpus.map(g => reading(g, state.processes)) }
      for (const listener of listeners) listener(latest)
      return latest
    },
    health: (): CollectorHealth => ({ state: 'running', restarts: 0, parseErrors: 0, lastSnapshotAt: latest?.recordedAt ?? null, childPid: null, fields: [], lastError: null }),
    setReadError (err) {
      readError = err
    },
    reads: () => reads,
  }
}

function reading (g: SimState['gpus'][number], processes: SimProcess[]): GpuReading {
  const used = g.memoryBaseUsedMib + processes.filter(p => p.gpuIndex === g.index).reduce((sum, p) => sum + p.usedMemoryMib, 0)
  return {
    index: g.index,
    uuid: g.uuid,
    name: g.name,
    pciBusId: g.pciBusId,
    memoryTotalMib: g.memoryTotalMib,
    memoryReservedMib: g.memoryReservedMib,
    memoryUsedMib: used,
    memoryFreeMib: Math.max(0, g.memoryTotalMib - g.memoryReservedMib - used),
    utilizationGpuPct: g.utilizationGpu,
    utilizationMemoryPct: g.utilizationMemory,
    temperatureGpuC: g.temperatureGpu,
    temperatureMemoryC: g.temperatureMemory,
    powerDrawInstantW: g.powerDrawInstant,
    powerDrawAverageW: g.powerDraw,
    powerLimitW: g.powerLimit,
    smClockMhz: g.smClock,
    memClockMhz: g.memClock,
    pstate: g.pstate,
    eccCorrectedVolatile: g.eccCorrected,
    eccUncorrectedVolatile: g.eccUncorrected,
    clocksEventReasons: 0, remappedRowsCorrectable: 0, remappedRowsUncorrectable: 0, remappedRowsPending: false, remappedRowsFailure: false,
  }
}

/**
 * A zombie counts as gone: the driver frees a process's GPU memory as it exits, before its
 * parent reaps it, and nvidia-smi stops listing it then (the purge process adapter relies on it).
 */
function pidAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}
