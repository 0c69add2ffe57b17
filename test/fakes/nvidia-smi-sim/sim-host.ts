import { defaultSimState, readSimState } from '../sim-state.ts'
import type { SimGpu, SimProcess, SimState } from '../sim-state.ts'

/** One GPU as the simulated driver reports it at one instant: wander and processes applied. */
export interface LiveGpu extends SimGpu {
  memoryUsedMib: number
  memoryFreeMib: number
}

/**
 * The state to simulate: the file named by NVIDIA_SMI_SIM_STATE, or the default 8×B200 host
 * (wandering) when no path is set or the file does not exist yet. A file that exists but
 * does not parse throws: the loop keeps its previous state rather than guess.
 */
export function loadSimState (path: string | undefined): SimState {
  if (path) {
    try {
      return readSimState(path)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
  }
  return { ...defaultSimState(), wander: true }
}

/** A process entry counts while its pid lives, when it follows one (signal 0 only probes). */
export function processAlive (proc: SimProcess): boolean {
  if (!proc.followPid) return true
  try {
    process.kill(proc.pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export function liveProcesses (state: SimState): SimProcess[] {
  return (state.processes ?? []).filter(processAlive)
}

/**
 * Deterministic in time so two reads a moment apart differ a little, like an idle box:
 * power within a few watts (the default host stays inside 240–260 W), temperatures ±1 °C,
 * a busy GPU's utilization ±3 points.
 */
function wave (t: number, periodMs: number, phase: number): number {
  return Math.sin((2 * Math.PI * t) / periodMs + phase)
}

export function liveGpu (gpu: SimGpu, processes: readonly SimProcess[], t: number, wander: boolean): LiveGpu {
  const owned = processes.filter(p => p.gpuIndex === gpu.index).reduce((sum, p) => sum + p.usedMemoryMib, 0)
  const used = gpu.memoryBaseUsedMib + owned
  const live: LiveGpu = {
    ...gpu,
    memoryUsedMib: used,
    memoryFreeMib: Math.max(0, gpu.memoryTotalMib - gpu.memoryReservedMib - used),
  }
  if (!wander) return live
  const i = gpu.index
  const draw = gpu.powerDraw + 2.5 * wave(t, 60_000, i) + 0.8 * wave(t, 7_000, 2 * i)
  live.powerDraw = Math.max(0, draw)
  live.powerDrawInstant = Math.max(0, gpu.powerDrawInstant - gpu.powerDraw + draw + 0.3 * wave(t, 1_300, i))
  // A busy GPU's utilization moves a few points; an idle one (0 %, the default host) stays idle.
  if (gpu.utilizationGpu > 0) live.utilizationGpu = Math.min(100, Math.max(1, Math.round(gpu.utilizationGpu + 3 * wave(t, 45_000, i))))
  live.temperatureGpu = gpu.temperatureGpu + Math.round(wave(t, 120_000, i))
  live.temperatureMemory = gpu.temperatureMemory + Math.round(wave(t, 150_000, i + 1))
  return live
}

export function liveGpus (state: SimState, t: number): LiveGpu[] {
  const processes = liveProcesses(state)
  return state.gpus.map(g => liveGpu(g, processes, t, state.wander ?? false))
}
