import { readdirSync, readFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'

/**
 * CPU time and memory of a server under test from /proc: the root processes and every live
 * descendant (PostgreSQL's backends), so a multi-process server is measured whole.
 */
const TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
const PAGE = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim()) || 4096

interface Stat { pid: number, ppid: number, ticks: number, childTicks: number }

/** A /proc/…/stat line: its command name and the fields after it (state first). */
function statFields (path: string): { name: string, f: string[] } {
  const text = readFileSync(path, 'utf8')
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  return { name: text.slice(text.indexOf('(') + 1, text.lastIndexOf(')')), f: text.slice(text.lastIndexOf(')') + 2).split(' ') }
}

function stat (pid: number): Stat | null {
  try {
    const { f } = statFields(`/proc/${pid}/stat`)
    return { pid, ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), childTicks: Number(f[13]) + Number(f[14]) }
  } catch { return null }
}

function tree (roots: readonly number[]): Stat[] {
  const all = readdirSync('/proc').filter(d => /^\d+$/.test(d)).map(d => stat(Number(d))).filter((s): s is Stat => s !== null)
  const inTree = new Set(roots)
  // Parents before children is not guaranteed by pid order: repeat until nothing is added.
  for (let grew = true; grew;) {
    grew = false
    for (const s of all) if (!inTree.has(s.pid) && inTree.has(s.ppid)) { inTree.add(s.pid); grew = true }
  }
  return all.filter(s => inTree.has(s.pid))
}

/** CPU seconds so far: the tree's own time, plus what its roots' reaped children used. */
export function treeCpuSeconds (roots: readonly number[]): number {
  let ticks = 0
  for (const s of tree(roots)) ticks += s.ticks + (roots.includes(s.pid) ? s.childTicks : 0)
  return ticks / TICKS_PER_S
}

/** Resident memory of the tree now, bytes (pages shared between processes count once per process). */
export function treeRssBytes (roots: readonly number[]): number {
  let bytes = 0
  for (const s of tree(roots)) {
    try { bytes += Number(readFileSync(`/proc/${s.pid}/statm`, 'utf8').split(' ')[1]) * PAGE } catch {}
  }
  return bytes
}

/** CPU seconds so far per thread of the tree's processes: `pid/tid name` → seconds. */
export function threadCpuSeconds (roots: readonly number[]): Map<string, number> {
  const out = new Map<string, number>()
  for (const s of tree(roots)) {
    let tids: string[] = []
    try { tids = readdirSync(`/proc/${s.pid}/task`) } catch { continue }
    for (const tid of tids) {
      try {
        const { name, f } = statFields(`/proc/${s.pid}/task/${tid}/stat`)
        out.set(`${s.pid}/${tid} ${name}`, (Number(f[11]) + Number(f[12])) / TICKS_PER_S)
      } catch {}
    }
  }
  return out
}
