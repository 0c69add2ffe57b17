import { readFileSync, readlinkSync } from 'node:fs'
import { parseProcStat } from '../proc-stat.ts'

/** What /proc says about a pid now. */
export type ProcIdentity =
  /** `exe` is the target of /proc/<pid>/exe as the kernel prints it (" (deleted)" and all). */
  | { kind: 'running', exe: string, startTime: string }
  /** No such pid, or a zombie: it exited (its GPU memory is released) and waits to be reaped. */
  | { kind: 'gone' }
  /**
   * It is there but cannot be identified; `code` is the errno (EACCES: another user's process).
   * `comm` (stat's name, a hint only) when stat was readable.
   */
  | { kind: 'unreadable', path: string, code: string, comm?: string }

/**
 * Identify `pid` from `procRoot` (normally /proc; tests point it at fixtures): its executable
 * and its start time, which together tell a reused pid from the process that held it. Reads
 * stat, then exe, then stat again, so a pid that turned over between the two reads is never
 * reported with one process's executable and another's start time. Synchronous on purpose:
 * the caller checks and signals in the same tick, with nothing awaited in between.
 */
export function readProcIdentity (procRoot: string, pid: number): ProcIdentity {
  const dir = `${procRoot}/${pid}`
  for (let attempt = 0; attempt < 3; attempt++) {
    const before = readStat(dir)
    if (before.kind !== 'running') return before
    const hint = { comm: before.comm }
    let exe: string
    try {
      exe = readlinkSync(`${dir}/exe`)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'EIO'
      // ENOENT: the process is exiting (its mm is gone) or just went; the stat read says which.
      if (code === 'ENOENT' || code === 'ESRCH') {
        const after = readStat(dir)
        if (after.kind !== 'running') return after
      }
      return { kind: 'unreadable', path: `${dir}/exe`, code, ...hint }
    }
    const after = readStat(dir)
    if (after.kind !== 'running') return after
    if (after.startTime === before.startTime) return { kind: 'running', exe, startTime: before.startTime }
  }
  // The pid turned over three times while we looked: nothing here can be trusted.
  return { kind: 'unreadable', path: `${dir}/stat`, code: 'EAGAIN' }
}

function readStat (dir: string): { kind: 'running', startTime: string, comm: string } | Exclude<ProcIdentity, { kind: 'running' }> {
  let text: string
  try {
    text = readFileSync(`${dir}/stat`, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO'
    if (code === 'ENOENT' || code === 'ESRCH') return { kind: 'gone' }
    return { kind: 'unreadable', path: `${dir}/stat`, code }
  }
  const stat = parseProcStat(text)
  if (stat === null) return { kind: 'unreadable', path: `${dir}/stat`, code: 'EBADMSG' }
  if (stat.state === 'Z' || stat.state === 'X') return { kind: 'gone' }
  return { kind: 'running', startTime: stat.startTime, comm: stat.comm }
}
