import { readFileSync } from 'node:fs'

/**
 * Field 6 of `/proc/<pid>/stat` (proc(5)), the session id: "pid (comm) state ppid pgrp session …".
 * comm may hold spaces and parentheses, so fields are counted from the LAST ')'. Null for text
 * that is not a stat line.
 */
export function parseSessionId (stat: string): number | null {
  const close = stat.lastIndexOf(')')
  if (close < 0 || stat.indexOf('(') > close) return null
  // After ") ": state ppid pgrp session …
  const session = stat.slice(close + 2).split(' ')[3]
  return session !== undefined && /^\d+$/.test(session) ? Number(session) : null
}

/**
 * The session of `pid` read from `procRoot` (normally /proc; tests point it elsewhere); null when
 * the process is gone or its stat cannot be read. A job runs in its own session (setsid), so
 * every process it starts, however deep, shares the session id of its leader.
 */
export function readSessionId (pid: number, procRoot = '/proc'): number | null {
  try {
    return parseSessionId(readFileSync(`${procRoot}/${pid}/stat`, 'utf8'))
  } catch {
    return null
  }
}
