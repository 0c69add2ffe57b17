import type { GpuSample } from '../control-plane/store/telemetry-repository.ts'

/**
 * Plausible 1 Hz readings of one B200 as nvidia-smi prints them: jobs start and stop
 * (utilization steps, then wanders by a point or two), power follows utilization with ±20 W
 * of noise at 0.01 W resolution, the 1 s average smooths it, temperatures drift by whole
 * degrees, memory in use steps when a job allocates, the SM clock moves in 15 MHz steps under
 * load. What compresses is what real GPUs make compressible; the noise is not.
 */
export function realisticGpu (seed: number): (gpuId: number, recordedAt: number) => GpuSample {
  let s = seed >>> 0 || 1
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
  let util = 0
  let target = 0
  let memUsed = 512
  let temp = 35
  let powerAvg = 150
  let sm = 345
  let memUtil = 0
  return (gpuId, recordedAt) => {
    if (rand() < 1 / 900) {
      target = rand() < 0.2 ? 0 : 40 + Math.floor(rand() * 61)
      memUsed = target === 0 ? 512 : 20_000 + Math.floor(rand() * 160_000)
    }
    util = Math.max(0, Math.min(100, target === 0 ? 0 : Math.round(target + (rand() - 0.5) * 6)))
    memUtil = Math.max(0, Math.min(100, Math.round(util * 0.4 + (rand() - 0.5) * 4)))
    const power = Math.round((140 + util * 8.5 + (rand() - 0.5) * 40) * 100) / 100
    powerAvg = Math.round((powerAvg * 0.7 + power * 0.3) * 100) / 100
    if (rand() < 0.05) temp = Math.max(30, Math.min(85, temp + (35 + util * 0.45 > temp ? 1 : -1)))
    sm = util === 0 ? 345 : (rand() < 0.1 ? 1500 + 15 * Math.floor(rand() * 33) : sm === 345 ? 1965 : sm)
    return {
      gpuId,
      recordedAt,
      name: 'NVIDIA B200',
      uuid: `GPU-${seed}-${gpuId}`,
      pciBusId: null,
      powerDrawW: power,
      tempC: temp,
      memoryUsedMb: memUsed,
      memoryTotalMb: 183359,
      utilizationPct: util,
      powerDrawAvgW: powerAvg,
      powerLimitW: 1000,
      memoryTempC: temp + 4,
      memoryReservedMb: 512,
      memoryUtilizationPct: memUtil,
      smClockMhz: sm,
      memClockMhz: 3996,
      pstate: 0,
      eccErrorsCorrected: 0,
      eccErrorsUncorrected: 0,
    }
  }
}
