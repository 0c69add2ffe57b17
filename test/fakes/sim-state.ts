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
  /**
   * MIG enabled (mig.mode.current Enabled, utilization.* [N/A] as on the real card) with these
   * GPU instances, listed by -L and -q. See migCaptureGpu() for the H100 of the MIG capture.
   */
  mig?: { instances: SimMigInstance[] }
}

/** One MIG device (one GPU instance with one compute instance), as -L and -q report it. */
export interface SimMigInstance {
  gpuInstanceId: number
  computeInstanceId: number
  /** e.g. `1g.10gb` */
  profile: string
  /** `MIG-…` */
  uuid: string
  memoryTotalMib: number
  /** Used memory not owned by a listed process. */
  memoryBaseUsedMib: number
}

export interface SimProcess {
  gpuIndex: number
  pid: number
  name: string
  usedMemoryMib: number
  /** Drop this process from output once the real pid `pid` has exited (process-adapter tests). */
  followPid?: boolean
  /** On a MIG GPU: the GPU instance it runs in (its memory counts there too); compute instance 0. */
  gpuInstanceId?: number
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

/**
 * The H100 80GB HBM3 of the MIG capture (590.48.01) under load: 3g.40gb, 2g.20gb and two
 * 1g.10gb devices (GPU instances 2, 3, 9, 10), 432 W, utilization [N/A]; the memhog and
 * gpu_burn processes of the capture sit in GPU instance 2 (add them with migCaptureProcesses()).
 */
export function migCaptureGpu (index = 0): SimGpu {
  const hex = index.toString(16).padStart(2, '0')
  const instances: Array<[number, string, number, number]> = [[2, '3g.40gb', 40448, 39], [3, '2g.20gb', 20096, 17], [9, '1g.10gb', 9984, 9], [10, '1g.10gb', 9984, 9]]
  return {
    ...defaultSimGpu(index),
    name: 'NVIDIA H100 80GB HBM3',
    uuid: `GPU-${hex}000000-0000-0000-0000-0000000000${hex}`,
    pciBusId: `00000000:00:${(0x09 + index).toString(16).toUpperCase().padStart(2, '0')}.0`,
    memoryTotalMib: 81559,
    memoryReservedMib: 479,
    memoryBaseUsedMib: 73,
    temperatureGpu: 52,
    temperatureMemory: 59,
    powerDraw: 433.78,
    powerDrawInstant: 432.35,
    powerLimit: 700,
    smClock: 1980,
    memClock: 2619,
    mig: {
      instances: instances.map(([gi, profile, total, used], i) => ({
        gpuInstanceId: gi, computeInstanceId: 0, profile, memoryTotalMib: total, memoryBaseUsedMib: used,
        uuid: `MIG-${hex}00000${i}-0000-0000-0000-00000000000${i}`,
      })),
    },
  }
}

/** The capture's three processes, all in GPU instance 2 of `gpuIndex`. */
export function migCaptureProcesses (gpuIndex = 0, pidBase = 21180): SimProcess[] {
  return [
    { gpuIndex, pid: pidBase, name: '/root/tools/memhog', usedMemoryMib: 2296, gpuInstanceId: 2 },
    { gpuIndex, pid: pidBase + 1, name: '/root/tools/memhog', usedMemoryMib: 1272, gpuInstanceId: 2 },
    { gpuIndex, pid: pidBase + 18, name: './gpu_burn', usedMemoryMib: 7484, gpuInstanceId: 2 },
  ]
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
