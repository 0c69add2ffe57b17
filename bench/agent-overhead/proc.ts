import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

/**
 * Per-process CPU and memory from Linux /proc, in the kernel's own accounting (no sampling):
 * /proc/<pid>/stat utime/stime are the process's own CPU (all its threads), cutime/cstime
 * the CPU of children it has already reaped (waited for), like getrusage(RUSAGE_CHILDREN).
 * A child still running is in neither of its parent's counters: read its own stat.
 */

/** Clock ticks per second (USER_HZ) for the stat fields; 100 on every mainstream kernel. */
export const CLK_TCK = ((): number => {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())
    return Number.isInteger(n) && n > 0 ? n : 100
  } catch {
    return 100
  }
})()

export interface ProcCpu {
  /** Own user+system CPU, seconds. */
  ownS: number
  /** Own user CPU, seconds (ownS − userS is system CPU). */
  userS: number
  /** Reaped children's user+system CPU, seconds. */
  childrenS: number
}

/** null when the process is gone. */
export function readProcCpu (pid: number | 'self'): ProcCpu | null {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return null
  }
  // Field 2 (comm) is parenthesized and may contain spaces: split after its closing paren.
  // Tokens then start at field 3 (state), so field n is tokens[n - 3].
  const tokens = text.slice(text.lastIndexOf(')') + 2).split(' ')
  const field = (n: number): number => Number(tokens[n - 3])
  return {
    ownS: (field(14) + field(15)) / CLK_TCK,
    userS: field(14) / CLK_TCK,
    childrenS: (field(16) + field(17)) / CLK_TCK,
  }
}

/**
 * Own user+system CPU per thread name (comm: MainThread, V8Worker, libuv-worker, …), seconds,
 * summed over the threads alive now (a thread that has exited is no longer listed).
 */
export function readThreadCpu (pid: number): Map<string, number> {
  const byName = new Map<string, number>()
  let tids: string[]
  try {
    tids = readdirSync(`/proc/${pid}/task`)
  } catch {
    return byName
  }
  for (const tid of tids) {
    let text: string
    try {
      text = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
    } catch {
      continue
    }
    const name = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'))
    const tokens = text.slice(text.lastIndexOf(')') + 2).split(' ')
    const s = (Number(tokens[11]) + Number(tokens[12])) / CLK_TCK
    byName.set(name, (byName.get(name) ?? 0) + s)
  }
  return byName
}

export interface HostCpu {
  /** All CPUs' non-idle time (user, nice, system, irq, softirq, steal), seconds. */
  busyS: number
  /** Time the hypervisor ran something else while this VM wanted the CPU, seconds. */
  stealS: number
  totalS: number
}

/** Machine-wide CPU time from the first line of /proc/stat, to show how busy (noisy) the host was. */
export function readHostCpu (): HostCpu {
  const [, ...cols] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/)
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = cols.map(Number)
  const busy = user + nice + system + irq + softirq + steal
  return { busyS: busy / CLK_TCK, stealS: steal / CLK_TCK, totalS: (busy + idle + iowait) / CLK_TCK }
}

/** Busy and steal between two readings, as % of all CPUs. */
export function hostBusy (from: HostCpu, to: HostCpu): { busyPct: number, stealPct: number } {
  const total = to.totalS - from.totalS
  return { busyPct: (to.busyS - from.busyS) / total * 100, stealPct: (to.stealS - from.stealS) / total * 100 }
}

export interface ProcMemory {
  /** Peak resident set size (VmHWM), bytes. */
  peakRssBytes: number
  /** Current resident set size (VmRSS), bytes. */
  rssBytes: number
  /** Of VmRSS: anonymous (heap, stacks, JIT) and file-backed (the node binary's pages, shared libraries), bytes. */
  anonBytes: number
  fileBytes: number
}

export function readProcMemory (pid: number): ProcMemory | null {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8')
  } catch {
    return null
  }
  // The kernel prints these in KiB ("kB").
  const kib = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024
  return { peakRssBytes: kib('VmHWM'), rssBytes: kib('VmRSS'), anonBytes: kib('RssAnon'), fileBytes: kib('RssFile') }
}

/** The process's command line, '' when gone (to check a pid still names what we started). */
export function readCmdline (pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
  } catch {
    return ''
  }
}
