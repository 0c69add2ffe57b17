import type { CsvFormat } from './render-csv.ts'

export type SimCommand =
  | { kind: 'version' }
  | { kind: 'list-gpus', ids: string[] | null }
  /** `-q` (`--query`): the full text report (the agent reads its MIG Device and Processes parts). */
  | { kind: 'report', ids: string[] | null }
  | { kind: 'help-query', target: 'gpu' | 'compute-apps' }
  | {
    kind: 'query'
    target: 'gpu' | 'compute-apps'
    /** As given on the command line (aliases unresolved). */
    fields: string[]
    format: CsvFormat
    /** Loop period in ms, null for a one-shot query. */
    loopMs: number | null
    ids: string[] | null
  }
  | { kind: 'error', message: string, exitCode: number }

/** The real CLI's answer to options it cannot use together (exit code assumed: 2, invalid argument). */
export const INVALID_ARGS = "Invalid combination of input arguments. Please run 'nvidia-smi -h' for help."

const invalid = (): SimCommand => ({ kind: 'error', message: INVALID_ARGS, exitCode: 2 })

/** `-l` without a number loops every 5 s, as the real CLI does. */
const DEFAULT_LOOP_S = 5

/**
 * The subset of nvidia-smi's command line the agent and tests use. Values are accepted both
 * as `--opt=value` and `--opt value`.
 */
export function parseArgs (argv: readonly string[]): SimCommand {
  let version = false
  let list = false
  let report = false
  let helpQuery: 'gpu' | 'compute-apps' | null = null
  let target: 'gpu' | 'compute-apps' | null = null
  let fields: string[] = []
  let format: string | null = null
  let loopMs: number | null = null
  let ids: string[] | null = null

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    const eq = arg.indexOf('=')
    const name = arg.startsWith('-') && eq > 0 ? arg.slice(0, eq) : arg
    const inline = name === arg ? undefined : arg.slice(eq + 1)
    const value = (): string | undefined => inline ?? argv[++i]

    switch (name) {
      case '--version': version = true; break
      case '-L': case '--list-gpus': list = true; break
      case '-q': case '--query': report = true; break
      case '--help-query-gpu': helpQuery = 'gpu'; break
      case '--help-query-compute-apps': helpQuery = 'compute-apps'; break
      case '--query-gpu':
      case '--query-compute-apps': {
        const v = value()
        if (v === undefined || target !== null) return invalid()
        target = name === '--query-gpu' ? 'gpu' : 'compute-apps'
        fields = v.split(',').map(s => s.trim()).filter(s => s !== '')
        break
      }
      case '--format': {
        const v = value()
        if (v === undefined) return invalid()
        format = v
        break
      }
      case '-i': case '--id': {
        const v = value()
        if (v === undefined) return invalid()
        ids = v.split(',').map(s => s.trim()).filter(s => s !== '')
        break
      }
      case '-l': case '--loop': {
        let v = inline
        if (v === undefined && /^\d+$/.test(argv[i + 1] ?? '')) v = argv[++i]
        const s = v === undefined ? DEFAULT_LOOP_S : Number(v)
        if (!Number.isInteger(s) || s < 1) return invalid()
        loopMs = s * 1000
        break
      }
      case '-lms': case '--loop-ms': {
        const ms = Number(value())
        if (!Number.isInteger(ms) || ms < 1) return invalid()
        loopMs = ms
        break
      }
      default: return invalid()
    }
  }

  if (version) return { kind: 'version' }
  if (helpQuery) return { kind: 'help-query', target: helpQuery }
  if (list) return { kind: 'list-gpus', ids }
  if (report) return target === null && format === null && loopMs === null ? { kind: 'report', ids } : invalid()
  if (!target) return invalid()
  const opts = (format ?? '').split(',').map(s => s.trim())
  if (!opts.includes('csv') || opts.some(o => !['csv', 'noheader', 'nounits'].includes(o))) return invalid()
  return {
    kind: 'query',
    target,
    fields,
    format: { noheader: opts.includes('noheader'), nounits: opts.includes('nounits') },
    loopMs,
    ids,
  }
}
