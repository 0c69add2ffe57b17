import type { GpuReading, Snapshot } from '../../../agent/collector/snapshot.ts'
import type { GpuSource } from '../../../agent/gpu-source.ts'

export interface FakeGpuSource extends GpuSource {
  /** Emits one snapshot stamped `recordedAt` to every listener, as the collector's tick does. */
  emit: (recordedAt: number, patch?: (gpu: GpuReading) => Partial<GpuReading>) => Snapshot
  emitted: () => Snapshot[]
}

/** B200-like readings; GPU 3 is an older-driver GPU with no instant power or memory temperature. */
export function fakeGpu (index: number): GpuReading {
  const old = index === 3
  return {
    index,
    uuid: `GPU-00000000-0000-0000-0000-00000000000${index}`,
    name: 'NVIDIA B200',
    pciBusId: `00000000:${(0x18 + index * 0x10).toString(16).toUpperCase()}:00.0`,
    memoryTotalMib: 183359,
    memoryReservedMib: 542,
    memoryUsedMib: 1000 + index,
    memoryFreeMib: 181817 - index,
    utilizationGpuPct: 10 * index,
    utilizationMemoryPct: index,
    temperatureGpuC: 30 + index,
    temperatureMemoryC: old ? null : 35 + index,
    powerDrawInstantW: old ? null : 250.5 + index,
    powerDrawAverageW: 248.25 + index,
    powerLimitW: 1000,
    smClockMhz: 1965,
    memClockMhz: 3996,
    pstate: 'P0',
    eccCorrectedVolatile: 0,
    eccUncorrectedVolatile: old ? null : 0,
    clocksEventReasons: 0, remappedRowsCorrectable: old ? null : 0, remappedRowsUncorrectable: old ? null : 0, remappedRowsPending: old ? null : false, remappedRowsFailure: old ? null : false,
  }
}

export function createFakeGpuSource (gpuCount = 8): FakeGpuSource {
  const listeners = new Set<(s: Snapshot) => void>()
  const snapshots: Snapshot[] = []
  return {
    emit (recordedAt, patch) {
      const gpus = Array.from({ length: gpuCount }, (_, i) => {
        const gpu = fakeGpu(i)
        return { ...gpu, ...patch?.(gpu) }
      })
      const snapshot = { recordedAt, gpus }
      snapshots.push(snapshot)
      for (const l of [...listeners]) l(snapshot)
      return snapshot
    },
    emitted: () => [...snapshots],
    latest: () => snapshots.at(-1) ?? null,
    onSnapshot (listener) {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    },
    computeApps: () => null,
    refreshComputeApps: async () => ({ readAt: 0, apps: [] }),
    readNow: async () => snapshots.at(-1) ?? { recordedAt: 0, gpus: [] },
    health: () => ({ state: 'running', restarts: 0, parseErrors: 0, lastSnapshotAt: snapshots.at(-1)?.recordedAt ?? null, childPid: null, fields: [], lastError: null }),
  }
}
