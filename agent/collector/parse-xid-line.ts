import { normalizeBusId } from './normalize-bus-id.ts'

/** One NVIDIA Xid report from the kernel log. */
export interface XidEvent {
  /** The GPU's PCI address, normalized (`0000:18:00`). */
  busId: string
  xid: number
  /** The rest of the driver's line (pid, process name, description). */
  detail: string
  /** Microseconds since boot from a /dev/kmsg record; null for plain text lines. */
  bootUsec: number | null
  /** The record's sequence number in the kernel's ring buffer; null for plain text lines. */
  seq: number | null
}

// The driver's line: `NVRM: Xid (PCI:0000:3b:00): 79, pid=1234, name=python3, GPU has fallen off the bus.`
// (older drivers omit pid/name; some print the function, `PCI:0000:00:1e.0`).
const XID = /NVRM: Xid \(PCI:([0-9a-fA-F]{4,8}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}(?:\.[0-7])?)\): (\d{1,5})(?:, ?(.*))?$/
// A /dev/kmsg record: `<prio>,<seq>,<usec since boot>,<flags>[,…];<message>`.
const KMSG = /^\d+,(\d+),(\d+),[^;]*;(.*)$/

/**
 * One kernel log line → its Xid report, or null for any other line. Reads /dev/kmsg records
 * and plain `dmesg` text alike; continuation lines of a record (` SUBSYSTEM=pci`) never match.
 */
export function parseXidLine (line: string): XidEvent | null {
  const record = KMSG.exec(line)
  const message = record === null ? line : record[3] as string
  const m = XID.exec(message.trimEnd())
  if (m === null) return null
  const busId = normalizeBusId(m[1] as string)
  if (busId === null) return null
  return {
    busId,
    xid: Number(m[2]),
    detail: (m[3] ?? '').slice(0, 300),
    bootUsec: record === null ? null : Number(record[2]),
    seq: record === null ? null : Number(record[1]),
  }
}
