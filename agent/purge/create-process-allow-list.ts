import { realpathSync } from 'node:fs'
import { basename } from 'node:path'
import { parseProcessAllowEntry } from './parse-process-allow-entry.ts'

export interface ProcessAllowList {
  /** Whether the executable (a /proc/<pid>/exe target) is allowed. */
  allows: (exe: string) => boolean
  /**
   * Whether a name for a process (nvidia-smi's argv[0]: "python", "./gpu_burn", a full path;
   * or stat's comm, the file name cut to 15 bytes) looks like an allowed one. Only for deciding
   * to report a process the agent cannot identify; never a reason to signal one.
   */
  mayName: (processName: string) => boolean
  readonly size: number
}

/**
 * The purge allow-list from its validated entries. A path entry is resolved through symlinks
 * each time it is checked, because /proc/<pid>/exe names the real file: allowing
 * /usr/bin/python3 allows the /usr/bin/python3.11 it points to, today and after an upgrade
 * moves the link. `resolve` is realpathSync unless a test needs otherwise.
 */
export function createProcessAllowList (entries: readonly string[], resolve: (path: string) => string = realpathSync): ProcessAllowList {
  const parsed = entries.map(parseProcessAllowEntry)
  const paths = parsed.flatMap(e => (e.kind === 'path' ? [e.path] : []))
  const names = new Set(parsed.flatMap(e => (e.kind === 'name' ? [e.name] : [])))

  function resolved (path: string): string {
    try {
      return resolve(path)
    } catch {
      return path // not there (yet): only the literal path can match
    }
  }

  return {
    size: parsed.length,
    allows (exe) {
      // The kernel marks an executable replaced on disk since the process started (an upgrade).
      const file = exe.endsWith(' (deleted)') ? exe.slice(0, -' (deleted)'.length) : exe
      if (names.has(basename(file))) return true
      return paths.some(p => p === file || resolved(p) === file)
    },
    mayName (processName) {
      const name = basename(processName)
      const files = [...names, ...paths.flatMap(p => [basename(p), basename(resolved(p))])]
      return paths.includes(processName) || files.some(file => file === name || (name.length === 15 && file.startsWith(name)))
    },
  }
}
