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
 * Live (non-zombie) processes of session `sid`, as /proc/<pid>/stat reads. A scan of /proc:
 * fine at the jobs loop's pace (once a second, only while some job's session must be watched).
 */
export function sessionProcs (sid: number, procRoot = '/proc'): JobProcStat[] {
  let names: string[]
  try {
    names = readdirSync(procRoot)
  } catch {
    return []
  }
  const procs: JobProcStat[] = []
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue
    const stat = readProcStat(Number(name), procRoot)
    if (stat !== null && stat.session === sid && stat.state !== 'Z') procs.push(stat)
  }
  return procs
}

/** The pids of sessionProcs. */
export function sessionPids (sid: number, procRoot = '/proc'): number[] {
  return sessionProcs(sid, procRoot).map(p => p.pid)
}
