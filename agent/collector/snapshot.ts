import type { GpuFieldReadings } from '../../shared/gpu-fields.ts'

/**
 * One GPU as read from one nvidia-smi tick: which GPU, then one reading per metric of
 * shared/gpu-fields.ts. Every reading nvidia-smi could not give (`[N/A]`, `[Not Supported]`,
 * a field this driver lacks) is null, never 0. Units are nvidia-smi's: MiB, %, °C, W, MHz.
 */
export interface GpuReading extends GpuFieldReadings {
  index: number
  uuid: string | null
  name: string | null
  pciBusId: string | null
  /** `mig.mode.current`; absent where the driver lacks the field. */
  migMode?: 'Enabled' | 'Disabled' | null
  /**
   * The MIG devices of a MIG-enabled GPU, from the collector's slower MIG read (every compute-apps
   * refresh, ≈ 5 s): null until that read has seen this GPU. Absent on GPUs without MIG.
   */
  migInstances?: MigInstanceReading[] | null
  /**
   * Values nvidia-smi printed that are faults, not readings (`[GPU requires reset]`, a
   * negative memory figure, NaN): the field is null and the fault says why. Absent or empty
   * when every value was a reading or an ordinary `[N/A]`.
   */
  faults?: GpuFault[]
}

/**
 * One MIG device: `nvidia-smi -L` gives its profile and UUID, `nvidia-smi -q` its GPU and
 * compute instance ids and memory; both number the devices of a GPU the same way (MIG dev index).
 */
export interface MigInstanceReading {
  migDeviceIndex: number
  /** GPU instance id (`GI ID`, dcgm-exporter's GPU_I_ID). */
  gpuInstanceId: number | null
  /** Compute instance id (`CI ID`). */
  computeInstanceId: number | null
  /** e.g. `1g.10gb` (dcgm-exporter's GPU_I_PROFILE). */
  profile: string | null
  /** `MIG-…` */
  uuid: string | null
  memoryTotalMib: number | null
  memoryUsedMib: number | null
  memoryFreeMib: number | null
}

/** A compute process on a MIG device (`nvidia-smi -q` Processes names its GPU and compute instance). */
export interface MigProcess {
  gpuUuid: string
  pid: number
  gpuInstanceId: number
  computeInstanceId: number | null
}

/** The MIG state of the host's MIG-enabled GPUs, by parent GPU UUID. */
export interface MigReading {
  readAt: number
  instances: Map<string, MigInstanceReading[]>
  processes: MigProcess[]
}

/** One value of one GPU that nvidia-smi printed but that is no reading. */
export interface GpuFault {
  /** The nvidia-smi field, e.g. `memory.used`. */
  field: string
  /** The text as printed (cut to 100 characters). */
  raw: string
  reason: string
}

/** A GPU the collector knows of but has no reading for in this snapshot. */
export interface MissingGpu {
  /** Null for a device nvidia-smi has never printed a row for (lost before the agent started). */
  index: number | null
  uuid: string | null
  pciBusId: string | null
  name: string | null
  /** e.g. nvidia-smi's `Unable to determine the device handle for GPU …: Unknown Error`. */
  reason: string
  /** Epoch ms since which it has been missing. */
  since: number
}

/** All GPUs of one tick, stamped once (epoch ms, UTC). */
export interface Snapshot {
  recordedAt: number
  gpus: GpuReading[]
  /**
   * The same instant on the agent's monotonic clock (ms, performance.now()): ages and the
   * watchdog use it, so a wall-clock step backwards cannot make old data look fresh.
   */
  monotonicAt?: number
  /** GPUs seen before (probe or earlier ticks) that have no row in this one, and why. */
  missing?: MissingGpu[]
}

/** One row of `--query-compute-apps`. */
export interface ComputeApp {
  gpuUuid: string
  pid: number
  processName: string
  usedMemoryMib: number | null
}

export interface ComputeAppsReading {
  readAt: number
  apps: ComputeApp[]
}
