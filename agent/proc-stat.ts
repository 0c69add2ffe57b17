/** The fields of `/proc/<pid>/stat` (proc(5)) the agent uses: purge identifies processes, jobs watch sessions. */
export interface ProcStat {
  pid: number
  /**
   * The executable's file name at exec, cut to 15 bytes (TASK_COMM_LEN); a process can rename
   * itself (prctl PR_SET_NAME), so it is a hint, never an identity.
   */
  comm: string
  /** One letter: R running, S sleeping, D disk sleep, Z zombie (exited, not yet reaped), X dead, … */
  state: string
  ppid: number
  pgrp: number
  /** Session id (field 6): a job's whole process tree keeps the session its leader made. */
  session: number
  /**
   * Field 22, `starttime`: when the process started, in clock ticks since boot. With the pid
   * it names one process for the life of the system: a reused pid gets a later start time.
   * Kept as the kernel's decimal text (it can pass 2^53 in theory; it is compared, never added).
   */
  startTime: string
}

/**
 * Parses one `/proc/<pid>/stat` line: "pid (comm) state ppid pgrp session … starttime …". comm
 * may hold spaces and parentheses, so the fields are counted from the LAST ')'. Null for text
 * that is not a stat line.
 */
export function parseProcStat (text: string): ProcStat | null {
  const open = text.indexOf('(')
  const close = text.lastIndexOf(')')
  if (open < 1 || close < open) return null
  const pid = Number(text.slice(0, open).trim())
  // After ") ": field 3 (state) is index 0, so field N is index N - 3.
  const fields = text.slice(close + 2).trim().split(' ')
  const state = fields[0]
  const startTime = fields[19]
  if (state === undefined || !/^[A-Za-z]$/.test(state) || startTime === undefined || !/^\d+$/.test(startTime)) return null
  const ids = [pid, Number(fields[1]), Number(fields[2]), Number(fields[3])]
  if (!ids.every(Number.isSafeInteger)) return null
  const [, ppid, pgrp, session] = ids as [number, number, number, number]
  return { pid, comm: text.slice(open + 1, close), state, ppid, pgrp, session, startTime }
}
