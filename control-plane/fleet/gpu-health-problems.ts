import type { GpuHealth } from '../store/fleet-repository.ts'

/**
 * Xid codes that mean the GPU itself is in trouble (NVIDIA's Xid catalog), not an application
 * fault (13, 31, 43, 45: a kernel's own bug or a killed process). 48 double-bit ECC, 61/62
 * internal micro-controller halt, 63/64 ECC page retirement or row remap event / failure,
 * 74 NVLink error, 79 fallen off the bus, 92 high single-bit ECC rate, 94/95 contained /
 * uncontained ECC error, 119/120 GSP RPC timeout / error, 140 unrecovered ECC error.
 */
export const HARDWARE_XIDS: ReadonlySet<number> = new Set([48, 61, 62, 63, 64, 74, 79, 92, 94, 95, 119, 120, 140])

/** An Xid degrades a GPU for this long after it was logged (an agent restart does not clear it; time does). */
export const XID_RECENT_MS = 60 * 60_000

/** What the agent's health report says is wrong with a GPU at `now` (empty: nothing). */
export function gpuHealthProblems (h: GpuHealth, now: number): string[] {
  const problems: string[] = []
  if (h.remappedRowsFailure === true) problems.push('row remapping failed (no spare rows left: replace the GPU)')
  if (h.remappedRowsPending === true) problems.push('row remap pending (reset the GPU to apply it)')
  if (h.xidLast !== null && HARDWARE_XIDS.has(h.xidLast) && h.xidLastAt !== null && now - h.xidLastAt < XID_RECENT_MS) {
    problems.push(`Xid ${h.xidLast} at ${new Date(h.xidLastAt).toISOString()}`)
  }
  return problems
}

/** Whether the report says anything at all (a GPU with no report cannot be judged by it). */
export function hasHealthReport (h: GpuHealth): boolean {
  return Object.values(h).some(v => v !== null)
}
