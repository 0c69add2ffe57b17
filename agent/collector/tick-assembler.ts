import type { GpuReading } from './snapshot.ts'

export interface TickAssembler {
  /** Add one parsed row; returns the tick's readings (in GPU order) when it completes. */
  push: (gpu: GpuReading) => GpuReading[] | null
  /** Forget a partial tick (the child was replaced). */
  reset: () => void
  /** Ticks abandoned incomplete, and rows for GPUs the probe did not report. */
  stats: () => { droppedTicks: number, ignoredRows: number }
}

/**
 * Groups loop rows into ticks. nvidia-smi prints every GPU once per tick, always in the same
 * order, so a row whose GPU is not after the previous row's in `order` (a repeat, or the
 * first GPU again) starts a new tick. A tick completes when every GPU in `order` has a row;
 * one that cannot complete is dropped, never emitted half.
 */
export function createTickAssembler (order: readonly number[]): TickAssembler {
  const position = new Map(order.map((index, i) => [index, i]))
  let pending = new Map<number, GpuReading>()
  let lastPosition = -1
  let droppedTicks = 0
  let ignoredRows = 0

  return {
    push (gpu) {
      const at = position.get(gpu.index)
      if (at === undefined) {
        ignoredRows++
        return null
      }
      if (at <= lastPosition) {
        if (pending.size > 0) droppedTicks++
        pending = new Map()
      }
      pending.set(gpu.index, gpu)
      lastPosition = at
      if (pending.size < order.length) return null
      const tick = order.map(i => pending.get(i) as GpuReading)
      pending = new Map()
      lastPosition = -1
      return tick
    },
    reset () {
      pending = new Map()
      lastPosition = -1
    },
    stats: () => ({ droppedTicks, ignoredRows }),
  }
}
