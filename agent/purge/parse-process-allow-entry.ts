import { posix } from 'node:path'

/** One `--purge-process-allow` entry. */
export type ProcessAllowEntry =
  /** An executable's absolute path: matches a process whose /proc/<pid>/exe is that file. */
  | { kind: 'path', path: string }
  /** `name:<file name>`: any executable with that file name, wherever it lives (an explicit opt-in). */
  | { kind: 'name', name: string }

const NAME_PREFIX = 'name:'

/**
 * Parse one allow-list entry, or throw a message that says how to write it. A bare word is
 * refused rather than read as a name: "python" would allow every python on the host, and that
 * must be asked for in so many words (`name:python`).
 */
export function parseProcessAllowEntry (text: string): ProcessAllowEntry {
  if (text.startsWith(NAME_PREFIX)) {
    const name = text.slice(NAME_PREFIX.length)
    if (name === '' || name === '.' || name === '..' || name.includes('/') || hasControl(name)) {
      throw new Error(`${JSON.stringify(text)}: name: takes an executable's file name, without any /, e.g. name:python3`)
    }
    return { kind: 'name', name }
  }
  if (!text.startsWith('/')) {
    throw new Error(`${JSON.stringify(text)} is not an absolute path: write the executable's full path (e.g. /usr/bin/${text}), or name:${text} to allow any executable named ${text}`)
  }
  if (text === '/' || posix.normalize(text) !== text || text.endsWith('/') || hasControl(text)) {
    throw new Error(`${JSON.stringify(text)} is not a plain absolute path to a file: write it without ., .., // or a trailing /`)
  }
  return { kind: 'path', path: text }
}

function hasControl (text: string): boolean {
  return /[\u0000-\u001f\u007f]/.test(text)
}
