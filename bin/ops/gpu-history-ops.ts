import type { FleetOp } from '../fleet-action.ts'
import { oneOf, usageError } from './cli-error.ts'
import { formatTable } from './print-table.ts'
import { resolveNodeId } from './resolve-node-id.ts'

const RANGES = ['1h', '24h', '7d', '30d'] as const

/**
 * `gpufleet nodes history NODE [--range R] [--gpu N]` (NODE: id or hostname): per GPU over the range, the
 * sample-weighted averages and the maxima of its points (--json: the API's answer, every point).
 */
export const nodeHistory: FleetOp = async (ctx, [given], opts) => {
  const range = oneOf(opts.range, RANGES, '--range') ?? '24h'
  const gpuFlag = opts.gpu as string | undefined
  if (gpuFlag !== undefined && !/^[0-9]{1,4}$/.test(gpuFlag)) throw usageError(`--gpu must be a GPU index (0, 1, …), got ${JSON.stringify(gpuFlag)}`)
  const cp = ctx.controlPlane()
  const nodeId = await resolveNodeId(cp, given)
  const h = await cp.getGpuHistory(nodeId, { range, ...(gpuFlag === undefined ? {} : { gpu: Number(gpuFlag) }) })
  ctx.print(h, () => `node ${h.nodeId} (${h.hostname}), last ${h.range} in ${h.stepSeconds / 60}-minute steps\n` + formatTable(h.gpus, [
    ['GPU', g => g.gpuIndex], ['MODEL', g => g.model],
    ['UTIL AVG %', g => weighted(g.points, p => p.utilizationAvgPct)], ['UTIL MAX %', g => peak(g.points, p => p.utilizationMaxPct)],
    ['TEMP AVG °C', g => weighted(g.points, p => p.tempAvgC)], ['TEMP MAX °C', g => peak(g.points, p => p.tempMaxC)],
    ['MEM MAX GB', g => { const m = peak(g.points, p => p.memoryUsedMaxMb); return m === null ? null : Math.round(m / 1024) }],
    ['POWER AVG W', g => weighted(g.points, p => p.powerAvgW)], ['POWER MAX W', g => peak(g.points, p => p.powerMaxW)],
    ['SAMPLES', g => g.points.reduce((a, p) => a + p.samples, 0)],
  ]))
}

interface Pt { samples: number }

function weighted<P extends Pt> (points: readonly P[], f: (p: P) => number | null): number | null {
  let sum = 0
  let n = 0
  for (const p of points) {
    const v = f(p)
    if (v !== null) { sum += v * p.samples; n += p.samples }
  }
  return n === 0 ? null : Math.round(sum / n)
}

function peak<P> (points: readonly P[], f: (p: P) => number | null): number | null {
  let max: number | null = null
  for (const p of points) {
    const v = f(p)
    if (v !== null && (max === null || v > max)) max = v
  }
  return max
}
