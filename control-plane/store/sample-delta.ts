import type { GpuSample } from './telemetry-repository.ts'

/**
 * What newly stored samples add to a rollup: sums and counts (additive, so a late row just
 * adds its share) and maxima (monotone: readings are never updated, only added). Shared by
 * every store engine so they fold samples the same way.
 */
export interface SampleDelta {
  /** Sum of the power readings; null when none of the samples reported power. */
  powerSumW: number | null
  powerN: number
  utilSum: number
  utilN: number
  utilMax: number | null
  tempSum: number
  tempN: number
  samples: number
}

export function emptyDelta (): SampleDelta {
  return { powerSumW: null, powerN: 0, utilSum: 0, utilN: 0, utilMax: null, tempSum: 0, tempN: 0, samples: 0 }
}

export function addSampleToDelta (d: SampleDelta, s: GpuSample): void {
  addReadingsToDelta(d, s.powerDrawW, s.utilizationPct, s.tempC)
}

/** addSampleToDelta given only the readings a rollup folds (a packed row's, without an object). */
export function addReadingsToDelta (d: SampleDelta, powerDrawW: number | null, utilizationPct: number | null, tempC: number | null): void {
  d.samples++
  if (powerDrawW !== null) {
    d.powerSumW = (d.powerSumW ?? 0) + powerDrawW
    d.powerN++
  }
  if (utilizationPct !== null) {
    d.utilSum += utilizationPct
    d.utilN++
    d.utilMax = d.utilMax === null ? utilizationPct : Math.max(d.utilMax, utilizationPct)
  }
  if (tempC !== null) {
    d.tempSum += tempC
    d.tempN++
  }
}

export function mergeDelta (into: SampleDelta, from: SampleDelta): void {
  if (from.powerSumW !== null) into.powerSumW = (into.powerSumW ?? 0) + from.powerSumW
  into.powerN += from.powerN
  into.utilSum += from.utilSum
  into.utilN += from.utilN
  if (from.utilMax !== null) into.utilMax = into.utilMax === null ? from.utilMax : Math.max(into.utilMax, from.utilMax)
  into.tempSum += from.tempSum
  into.tempN += from.tempN
  into.samples += from.samples
}
