import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseProcStat, type ProcStat } from '../proc-stat.ts'

/** What the jobs code reads of a process: its start time as a number (jobs.json keeps it so). */
export interface JobProcStat extends Omit<ProcStat, 'startTime'> {
  startTime: number
}

/** `/proc/<pid>/stat`, parsed; null when the process is gone (or unreadable). */
export function readProcStat (pid: number, procRoot = '/proc'): JobProcStat | null {
  let stat: ProcStat | null
  try {
    stat = parseProcStat(readFileSync(join(procRoot, String(pid), 'stat'), 'utf8'))
  } catch {
    return null
  }
  return stat === null ? null : { ...stat, startTime: Number(stat.startTime) }
}

/** True while `pid` is the process that started at `startTime` and has not exited (a zombie has). */
export function isSameProcessAlive (pid: number, startTime: number | null, procRoot = '/proc'): boolean {
  const stat = readProcStat(pid, procRoot)
  return stat !== null && stat.state !== 'Z' && (startTime === null || stat.startTime === startTime)
}

/**
 * Live (non-zombie) processes of session `sid`. A scan of /proc: fine at the jobs loop's
 * pace (once a second, only while some job's session must be watched).
 */
export function sessionPids (sid: number, procRoot = '/proc'): number[] {
  let names: string[]
  try {
    names = readdirSync(procRoot)
  } catch {
    return []
  }
  const pids: number[] = []
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue
    const stat = readProcStat(Number(name), procRoot)
    if (stat !== null && stat.session === sid && stat.state !== 'Z') pids.push(stat.pid)
  }
  return pids
}
