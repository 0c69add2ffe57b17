import type { CollectorLog } from '../../../agent/collector/collector-options.ts'

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error'
  msg: string
  obj: object
}

/** A logger that keeps what was written, so tests read the log instead of spying on calls. */
export function createMemoryLog (): CollectorLog & { entries: LogEntry[] } {
  const entries: LogEntry[] = []
  const at = (level: LogEntry['level']) => (obj: object, msg: string): void => { entries.push({ level, msg, obj }) }
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}
