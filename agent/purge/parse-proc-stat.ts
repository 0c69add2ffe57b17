export interface ProcStat {
  /**
   * The executable's file name at exec, cut to 15 bytes (TASK_COMM_LEN); a process can rename
   * itself (prctl PR_SET_NAME), so it is a hint, never an identity.
   */
  comm: string
  /** One letter: R running, S sleeping, D disk sleep, Z zombie, X dead, … */
  state: string
  /**
   * Field 22, `starttime`: when the process started, in clock ticks since boot. With the pid
   * it names one process for the life of the system: a reused pid gets a later start time.
   * Kept as the kernel's decimal text (it can pass 2^53 in theory; it is compared, never added).
   */
  startTime: string
}

/**
 * Parse `/proc/<pid>/stat` (proc(5)): "pid (comm) state ppid … starttime …". comm is the
 * executable's name cut to 15 bytes and may hold spaces and parentheses, so the fields are
 * counted from the LAST ')'. Null for text that is not a stat line.
 */
export function parseProcStat (text: string): ProcStat | null {
  const open = text.indexOf('(')
  const close = text.lastIndexOf(')')
  if (open < 0 || close < open) return null
  // Fields 3.. start after ") "; field 22 is the 20th of them.
  const fields = text.slice(close + 2).trim().split(' ')
  const state = fields[0]
  const startTime = fields[19]
  if (state === undefined || !/^[A-Za-z]$/.test(state) || startTime === undefined || !/^\d+$/.test(startTime)) return null
  return { comm: text.slice(open + 1, close), state, startTime }
}
