import type { GpuReading } from './snapshot.ts'

/** One tick's rows in GPU order, and the expected GPUs that had no row in it. */
export interface Tick {
  gpus: GpuReading[]
  absent: number[]
}

export interface TickAssembler {
  /**
   * Add one parsed row of an expected GPU; returns a tick when one is done: this one when
   * every expected GPU has a row, or the previous one (short of some GPUs) when this row
   * starts the next tick before it completed.
   */
  push: (gpu: GpuReading) => Tick | null
  /** Whether a row of this GPU belongs to the ticks being assembled. */
  expects: (index: number) => boolean
  /**
   * Change the GPUs a tick needs (one fell off the bus, or came back). The partial tick is
   * kept when every GPU in it is still expected; it is returned at once when it is now complete.
   */
  setOrder: (order: readonly number[]) => Tick | null
  order: () => readonly number[]
  /** Forget a partial tick (the child was replaced). */
  reset: () => void
  /** Ticks emitted short of some GPUs. */
  stats: () => { partialTicks: number }
}

/**
 * Groups loop rows into ticks. nvidia-smi prints every GPU once per tick, always in the same
 * order, so a row whose GPU is not after the previous row's in `order` (a repeat, or the
 * first GPU again) starts a new tick. A tick completes when every GPU in `order` has a row;
 * one that lacks a row (garbled, or the GPU failed to print) is still emitted when the next
 * begins, with the GPUs it lacks named, so the other GPUs keep reporting.
 */
export function createTickAssembler (initialOrder: readonly number[]): TickAssembler {
  let order: number[] = []
  let position = new Map<number, number>()
  let pending = new Map<number, GpuReading>()
  let lastPosition = -1
  let partialTicks = 0

  function use (next: readonly number[]): void {
    order = [...next]
    position = new Map(order.map((index, i) => [index, i]))
  }
  use(initialOrder)

  function take (): Tick {
    const tick: Tick = {
      gpus: order.filter(i => pending.has(i)).map(i => pending.get(i) as GpuReading),
      absent: order.filter(i => !pending.has(i)),
    }
    if (tick.absent.length > 0) partialTicks++
    pending = new Map()
    lastPosition = -1
    return tick
  }

  return {
    push (gpu) {
      const at = position.get(gpu.index)
      if (at === undefined) return null
      let done: Tick | null = null
      if (at <= lastPosition && pending.size > 0) done = take()
      pending.set(gpu.index, gpu)
      lastPosition = at
      if (pending.size === order.length) return done ?? take()
      return done
    },
    expects: index => position.has(index),
    setOrder (next) {
      const keep = [...pending.keys()].every(i => next.includes(i))
      use(next)
      if (!keep) {
        pending = new Map()
        lastPosition = -1
        return null
      }
      lastPosition = Math.max(-1, ...[...pending.keys()].map(i => position.get(i) as number))
      return pending.size > 0 && pending.size === order.length ? take() : null
    },
    order: () => order,
    reset () {
      pending = new Map()
      lastPosition = -1
    },
    stats: () => ({ partialTicks }),
  }
}
