import { readFileSync, renameSync, writeFileSync } from 'node:fs'

/**
 * The nvidia-smi simulator's state file (path in NVIDIA_SMI_SIM_STATE). Tests and fake
 * model runtimes write it; the simulator re-reads it on every tick, so a change shows up in
 * the next loop line. Without a state file the simulator runs the default host below with
 * values that wander over time like an idle 8×B200 box.
 */
export interface SimGpu {
  index: number
  name: string
  uuid: string
  pciBusId: string
  memoryTotalMib: number
  memoryReservedMib: number
  /** Used memory not owned by a listed process (driver, contexts). Effective used = this + processes. */
  memoryBaseUsedMib: number
  utilizationGpu: number
  utilizationMemory: number
  temperatureGpu: number
  temperatureMemory: number
  powerDraw: number
  powerDrawInstant: number
  powerLimit: number
  smClock: number
  memClock: number
  pstate: string
  eccCorrected: number
  eccUncorrected: number
  /** Board serial (`serial`, `gpu_serial`); the simulator makes one up when absent. */
  serial?: string
  /**
   * Raw text to print for a field instead of the value, by canonical field name, with or
   * without `nounits`, e.g. {"temperature.memory": "[N/A]"} or {"memory.used": "[GPU requires reset]"}.
   */
  overrides?: Record<string, string>
  /**
   * Fallen off the bus: true (NVML's "Unknown Error") or the error text to print. Queries print
   * `Unable to determine the device handle for GPU <bus id>: <error>` on stdout instead of its
   * row, the other GPUs' rows, and exit 15; a loop prints that line and exits 15 at the tick
   * the GPU is lost, and a loop started while it was lost never prints it (nvidia-smi opens
   * the devices once, at start), even after it comes back.
   */
  lost?: boolean | string
}

export interface SimProcess {
  gpuIndex: number
  pid: number
  name: string
  usedMemoryMib: number
  /** Drop this process from output once the real pid `pid` has exited (process-adapter tests). */
  followPid?: boolean
}

export type SimMode =
  | 'normal'
  /** Print nothing and never exit (a wedged driver), one-shot or loop; the agent's watchdog must act. */
  | 'hang'
  /**
   * Exit at once with `exitCode` (default 9) after printing `exitMessage` on stdout, where the
   * real CLI prints it (default: its "couldn't communicate with the NVIDIA driver" text). In
   * loop mode, at the next tick.
   */
  | 'exit'
  /**
   * Loop mode: print the first tick (header included unless noheader), then go silent but stay
   * alive: a child that looks healthy but never completes another tick. One-shot queries
   * answer normally, so the agent's probe and readNow still work.
   */
  | 'hang-after-first'

export interface SimState {
  gpus: SimGpu[]
  processes: SimProcess[]
  mode?: SimMode
  exitCode?: number
  exitMessage?: string
  /** In loop mode, print one garbage line after every N ticks (0 = never). */
  garbageEvery?: number
  /** Fields this "driver" does not know: querying one fails like the real CLI. */
  unknownFields?: string[]
  /** Let values wander over time (default true without a state file, false with one). */
  wander?: boolean
  /** Driver version printed by --version and the driver_version field. */
  driverVersion?: string
  /** Ignore SIGTERM (a process stuck in the driver): only SIGKILL ends it. */
  ignoreSigterm?: boolean
}

const B200_MIB = 183359

export function defaultSimGpu (index: number): SimGpu {
  const hex = index.toString(16).padStart(2, '0')
  return {
    index,
    name: 'NVIDIA B200',
    uuid: `GPU-5e1f0c3a-${hex}b2-4c1d-9a7e-00000000${hex}${hex}`,
    pciBusId: `00000000:${(0x18 + index * 0x10).toString(16).toUpperCase().padStart(2, '0')}:00.0`,
    memoryTotalMib: B200_MIB,
    memoryReservedMib: 1047,
    memoryBaseUsedMib: 0,
    utilizationGpu: 0,
    utilizationMemory: 0,
    temperatureGpu: 31 + (index % 3),
    temperatureMemory: 36 + (index % 2),
    powerDraw: 248.5 + index,
    powerDrawInstant: 249.1 + index,
    powerLimit: 1000,
    smClock: 345,
    memClock: 3996,
    pstate: 'P0',
    eccCorrected: 0,
    eccUncorrected: 0,
  }
}

export function defaultSimState (gpuCount = 8): SimState {
  return {
    gpus: Array.from({ length: gpuCount }, (_, i) => defaultSimGpu(i)),
    processes: [],
    mode: 'normal',
    wander: false,
  }
}

export function readSimState (path: string): SimState {
  return JSON.parse(readFileSync(path, 'utf8')) as SimState
}

/** Atomic (write + rename) so the simulator never reads half a file. */
export function writeSimState (path: string, state: SimState): void {
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, JSON.stringify(state, null, 2))
  renameSync(tmp, path)
}

export function updateSimState (path: string, change: (state: SimState) => void): SimState {
  const state = readSimState(path)
  change(state)
  writeSimState(path, state)
  return state
}
