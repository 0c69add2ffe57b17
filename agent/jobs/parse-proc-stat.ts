/** The fields of `/proc/<pid>/stat` the jobs code uses (proc(5): fields 3, 4, 5, 6 and 22). */
export interface ProcStat {
  pid: number
  /** R, S, D, Z (zombie: exited, not yet reaped), … */
  state: string
  ppid: number
  pgrp: number
  /** Session id (field 6): a job's whole process tree keeps the session its leader made. */
  session: number
  /** Start time in clock ticks since boot (field 22): with the pid, names one process for its lifetime. */
  startTime: number
}

/**
 * Parses one `/proc/<pid>/stat` line. `comm` (field 2) is in parentheses and may itself hold
 * spaces and ')', so fields are counted from the LAST ')'. Null for anything else.
 */
export function parseProcStat (text: string): ProcStat | null {
  const close = text.lastIndexOf(')')
  const open = text.indexOf('(')
  if (open < 1 || close < open) return null
  const pid = Number(text.slice(0, open).trim())
  // After ')': field 3 (state) is index 0, so field N is index N - 3.
  const rest = text.slice(close + 1).trim().split(/\s+/)
  const field = (n: number): number => Number(rest[n - 3])
  const stat = { pid, state: rest[0] ?? '', ppid: field(4), pgrp: field(5), session: field(6), startTime: field(22) }
  const numbers = [stat.pid, stat.ppid, stat.pgrp, stat.session, stat.startTime]
  return stat.state !== '' && numbers.every(Number.isSafeInteger) ? stat : null
}
