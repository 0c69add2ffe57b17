import { closeSync, constants, openSync, readSync } from 'node:fs'
import type { CollectorLog } from './collector-options.ts'
import type { Timers } from '../../shared/timers.ts'
import { normalizeBusId } from './normalize-bus-id.ts'
import { parseXidLine } from './parse-xid-line.ts'

/** What the kernel log said about one GPU since the agent started reading it. */
export interface XidSummary {
  /** Xid reports seen (all codes). */
  count: number
  lastXid: number
  /** Epoch ms of the last report (from the record's boot-relative time where known). */
  lastAt: number
  lastDetail: string
  /** Reports per Xid code. */
  byXid: ReadonlyMap<number, number>
}

export interface XidWatchStatus {
  path: string
  readable: boolean
  /** Why the log cannot be read (e.g. `EACCES`), null while it can. */
  error: string | null
  events: number
}

export interface XidWatch {
  start: () => void
  stop: () => void
  /** Read whatever the log has now (the timer calls this; tests call it directly). */
  poll: () => void
  /** The summary for a GPU by its PCI address as nvidia-smi prints it; null when none was seen. */
  forBusId: (pciBusId: string | null) => XidSummary | null
  /** Every GPU the log named, by normalized PCI address (`0000:18:00`). */
  all: () => ReadonlyMap<string, XidSummary>
  status: () => XidWatchStatus
}

export interface XidWatchOptions {
  /** /dev/kmsg on a host; a file of kmsg records or `dmesg` text in tests. */
  path: string
  intervalMs: number
  timers: Timers
  now: () => number
  /** Epoch ms of boot, to turn a record's microseconds-since-boot into a time. */
  bootTimeMs: number
  log: CollectorLog
}

// /dev/kmsg hands out one record per read and refuses a buffer too small for it (EINVAL);
// records are at most ~8 KiB with their dictionary.
const READ_BUFFER_BYTES = 16 * 1024
// Bounds one poll, so a flood (or a huge text file) cannot hold the event loop.
const MAX_READS_PER_POLL = 4096

/**
 * NVIDIA reports Xid errors only in the kernel log, never through nvidia-smi's query output,
 * so this reads the log the way dmesg does: /dev/kmsg opened non-blocking, every record read
 * until EAGAIN, on a timer. The first read starts at the oldest record the ring buffer still
 * holds, so Xids from before the agent started count too. A log it may not read (no
 * CAP_SYSLOG under kernel.dmesg_restrict, a container without /dev/kmsg) is reported, never
 * fatal: the agent says so on /healthz and keeps retrying.
 */
export function createXidWatch (o: XidWatchOptions): XidWatch {
  const byBus = new Map<string, { count: number, lastXid: number, lastAt: number, lastDetail: string, byXid: Map<number, number> }>()
  const buffer = Buffer.alloc(READ_BUFFER_BYTES)
  let fd: number | null = null
  let tail = ''
  let lastSeq = -1
  let events = 0
  let error: string | null = null
  let timer: unknown = null
  let stopped = false

  function open (): boolean {
    if (fd !== null) return true
    try {
      fd = openSync(o.path, constants.O_RDONLY | constants.O_NONBLOCK)
      if (error !== null) o.log.info({ path: o.path }, 'kernel log readable again: Xid errors are read')
      error = null
      return true
    } catch (err) {
      fail(err)
      return false
    }
  }

  function fail (err: unknown): void {
    const code = (err as NodeJS.ErrnoException).code ?? 'ERROR'
    const why = `${code}: cannot read ${o.path}`
    if (why !== error) o.log.warn({ path: o.path, code }, 'kernel log not readable: Xid errors are not reported (needs CAP_SYSLOG and /dev/kmsg)')
    error = why
    if (fd !== null) closeSync(fd)
    fd = null
    tail = ''
  }

  function poll (): void {
    if (!open()) return
    for (let i = 0; i < MAX_READS_PER_POLL; i++) {
      let n: number
      try {
        n = readSync(fd as number, buffer, 0, buffer.length, null)
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        if (code === 'EAGAIN') break
        // The ring buffer overwrote records before we read them: the next read goes on from
        // the oldest one still there.
        if (code === 'EPIPE') continue
        fail(err)
        return
      }
      // A regular file: its end for now; later polls read what is appended.
      if (n === 0) break
      const lines = (tail + buffer.toString('utf8', 0, n)).split('\n')
      tail = lines.pop() ?? ''
      for (const line of lines) take(line)
    }
  }

  function take (line: string): void {
    const event = parseXidLine(line)
    if (event === null) return
    if (event.seq !== null) {
      if (event.seq <= lastSeq) return
      lastSeq = event.seq
    }
    const at = event.bootUsec === null ? o.now() : Math.round(o.bootTimeMs + event.bootUsec / 1000)
    let s = byBus.get(event.busId)
    if (s === undefined) byBus.set(event.busId, s = { count: 0, lastXid: event.xid, lastAt: at, lastDetail: '', byXid: new Map() })
    s.count++
    s.lastXid = event.xid
    s.lastAt = at
    s.lastDetail = event.detail
    s.byXid.set(event.xid, (s.byXid.get(event.xid) ?? 0) + 1)
    events++
    o.log.warn({ busId: event.busId, xid: event.xid, detail: event.detail }, 'NVIDIA Xid error in the kernel log')
  }

  function schedule (): void {
    if (stopped) return
    timer = o.timers.setTimeout(() => { timer = null; poll(); schedule() }, o.intervalMs)
  }

  return {
    start () { poll(); schedule() },
    stop () {
      stopped = true
      if (timer !== null) o.timers.clearTimeout(timer)
      if (fd !== null) closeSync(fd)
      fd = null
    },
    poll,
    forBusId (pciBusId) {
      const key = pciBusId === null ? null : normalizeBusId(pciBusId)
      return key === null ? null : byBus.get(key) ?? null
    },
    all: () => byBus,
    status: () => ({ path: o.path, readable: error === null && fd !== null, error, events }),
  }
}
