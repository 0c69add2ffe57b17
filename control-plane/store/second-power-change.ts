/**
 * One tick of one node (one recorded_at, all its GPUs): the sum of the readings that reported
 * power and how many did. A tick with n = 0 reported no power and is no power reading.
 */
export interface TickPower {
  at: number
  sumW: number
  n: number
}

export interface SecondPowerChange {
  /** The node's share of its cluster's and the fleet's sum for this second before the insert: its latest powered tick in the second (null: none). */
  beforeW: number | null
  /** The same after the insert. */
  afterW: number | null
  /** The largest whole-tick sum among the ticks that gained powered rows (null: none): the node's own MAX candidate. */
  peakW: number | null
}

/** Adds one stored reading to its tick in `ticks` (keyed by recorded_at). */
export function addTickPower (ticks: Map<number, TickPower>, at: number, powerDrawW: number | null): void {
  let t = ticks.get(at)
  if (t === undefined) ticks.set(at, t = { at, sumW: 0, n: 0 })
  if (powerDrawW !== null) {
    t.sumW += powerDrawW
    t.n++
  }
}

/**
 * Seed 000's power is per recorded_at: a node's power at a tick is the sum over its GPUs at
 * that instant, and a wider scope's power in a second adds each node's LATEST tick in that
 * second, never two ticks of one node (two 250 ms ticks are not twice the power). Given a
 * node's ticks in one second as stored after an insert (`after`) and what the insert added to
 * each (`added`), says how the node's share of the second changed and its new tick peaks. An
 * insert only adds rows, so a tick's sum only grows; its share can still go down (a newer
 * tick with less power replaces an older one).
 */
export function secondPowerChange (after: Iterable<TickPower>, added: ReadonlyMap<number, TickPower>): SecondPowerChange {
  let beforeAt = -Infinity
  let beforeW: number | null = null
  let afterAt = -Infinity
  let afterW: number | null = null
  let peakW: number | null = null
  for (const t of after) {
    const a = added.get(t.at)
    const n0 = t.n - (a?.n ?? 0)
    if (n0 > 0 && t.at > beforeAt) {
      beforeAt = t.at
      beforeW = t.sumW - (a?.sumW ?? 0)
    }
    if (t.n > 0 && t.at > afterAt) {
      afterAt = t.at
      afterW = t.sumW
    }
    if (a !== undefined && a.n > 0) peakW = peakW === null ? t.sumW : Math.max(peakW, t.sumW)
  }
  return { beforeW, afterW, peakW }
}
