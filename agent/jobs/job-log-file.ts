import { closeSync, copyFileSync, openSync, readSync, statSync, truncateSync } from 'node:fs'

/**
 * A job's log: the job writes `<log>` itself (O_APPEND, so it keeps writing after the agent
 * restarts); the agent bounds it by copy-and-truncate (logrotate's copytruncate: the job's
 * descriptor stays valid) into `<log>.1`, one generation kept. Positions are logical: bytes
 * since the job's start, rotated bytes included, which is what upload offsets count. Bytes
 * the job writes between the copy and the truncate are lost (a few at most, and never
 * counted, so offsets stay consistent).
 */

function sizeOf (path: string): number {
  try { return statSync(path).size } catch { return 0 }
}

/** Rotates `log` when it holds more than `maxBytes`; returns the bytes moved to `.1` (0: none). */
export function rotateLogIfOver (log: string, maxBytes: number): number {
  const size = sizeOf(log)
  if (size <= maxBytes) return 0
  copyFileSync(log, `${log}.1`)
  const copied = sizeOf(`${log}.1`)
  truncateSync(log, 0)
  return copied
}

/** The logical end of the log: everything the job has written so far. */
export function logEnd (log: string, rotatedBytes: number): number {
  return rotatedBytes + sizeOf(log)
}

export type LogRead =
  | { kind: 'bytes', data: Buffer }
  /** Bytes from `offset` on were rotated out before they were read; the next ones start at `to`. */
  | { kind: 'gap', to: number }

/** Up to `max` bytes from logical `offset` (from `.1` when they were rotated, never across the boundary). */
export function readLog (log: string, rotatedBytes: number, offset: number, max: number): LogRead {
  if (offset >= rotatedBytes) return { kind: 'bytes', data: readAt(log, offset - rotatedBytes, max) }
  const olderSize = sizeOf(`${log}.1`)
  const olderStart = rotatedBytes - olderSize
  if (offset < olderStart) return { kind: 'gap', to: olderStart < rotatedBytes ? olderStart : rotatedBytes }
  return { kind: 'bytes', data: readAt(`${log}.1`, offset - olderStart, Math.min(max, rotatedBytes - offset)) }
}

function readAt (path: string, position: number, max: number): Buffer {
  let fd: number
  try { fd = openSync(path, 'r') } catch { return Buffer.alloc(0) }
  try {
    const buf = Buffer.alloc(max)
    const n = readSync(fd, buf, 0, max, position)
    return buf.subarray(0, n)
  } finally {
    closeSync(fd)
  }
}
