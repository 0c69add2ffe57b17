import { updateSimState } from '../sim-state.ts'
import type { SimState } from '../sim-state.ts'
import { renderComputeAppRows } from './compute-app-rows.ts'
import { loadComputeAppsCatalog, loadGpuCatalog } from './field-catalog.ts'
import { renderGpuRows } from './gpu-rows.ts'
import type { SimCommand } from './parse-args.ts'
import { renderHeader } from './render-csv.ts'
import { selectGpus } from './select-gpus.ts'
import { liveGpus, liveProcesses, loadSimState } from './sim-host.ts'
import { actOutFailure, hang, isHanging, write } from './sim-process.ts'

type QueryCommand = Extract<SimCommand, { kind: 'query' }>

export const NO_DEVICES = 'No devices were found'

/**
 * Lines a confused driver or a wedged read can leave in the stream, in turn: noise, a row cut
 * in half, and a row of the right width whose values are not numbers.
 */
export function garbageLine (n: number, row: string | undefined, width: number): string {
  switch (n % 3) {
    case 0: return `@@#!garbled nvidia-smi output ${n} \u0007@@`
    case 1: return row ? row.slice(0, Math.floor(row.length / 2)) : `${n}, GPU-`
    default: return Array.from({ length: width }, () => 'x?').join(', ')
  }
}

/** Resolve aliases; the first field this driver lacks ends the run like the real CLI. */
function resolveFields (cmd: QueryCommand, names: ReadonlyMap<string, string>, unknown: ReadonlySet<string>): string[] {
  return cmd.fields.map(f => {
    const canonical = names.get(f)
    if (canonical === undefined || unknown.has(f) || unknown.has(canonical)) {
      // The real CLI writes this to stdout, then a blank line, and exits with 2.
      write(`Field "${f}" is not a valid field to query.\n\n`)
      process.exit(2)
    }
    return canonical
  })
}

/**
 * `--query-gpu` / `--query-compute-apps`, once or in a loop. The state file is re-read every
 * tick so tests and fake runtimes can change the host under a running loop.
 */
export function runQuery (cmd: QueryCommand, stateFile: string | undefined, onState: (s: SimState) => void): void {
  let state = loadSimState(stateFile)
  onState(state)
  const catalog = cmd.target === 'gpu' ? loadGpuCatalog() : loadComputeAppsCatalog()
  const fields = resolveFields(cmd, catalog.names, new Set(state.unknownFields ?? []))
  const loopMs = cmd.loopMs
  const start = Date.now()
  let n = 0
  let garbageCount = 0

  const tick = (): void => {
    if (n > 0) {
      try {
        state = loadSimState(stateFile)
        onState(state)
      } catch {
        // Half-written or broken file: keep the previous state, as a driver keeps its values.
      }
    }
    if (state.mode === 'hang-after-first' && n > 0 && loopMs !== null) hang()
    if (actOutFailure(state)) return

    const now = new Date()
    const gpus = selectGpus(liveGpus(state, now.getTime()), cmd.ids)
    if (gpus === null && n === 0) {
      write(`${NO_DEVICES}\n`)
      process.exit(6)
    }
    const rows = cmd.target === 'gpu'
      ? renderGpuRows(gpus ?? [], state, fields, catalog, cmd.format, now)
      : renderComputeAppRows(gpus ?? [], liveProcesses(state), fields, catalog, cmd.format, now)
    const lines = [...rows]
    // Loop mode prints the header once, not every tick (what CSV logs made with -l -f show).
    if (n === 0 && !cmd.format.noheader) lines.unshift(renderHeader(fields, catalog.units))
    if (loopMs !== null && cmd.target === 'gpu' && state.events?.length) {
      const events = state.events
      lines.splice(Math.min(lines.length, n === 0 && !cmd.format.noheader ? 2 : 1), 0, ...events)
      clearEvents(stateFile, events)
    }
    write(lines.map(l => `${l}\n`).join(''))
    n++
    const every = state.garbageEvery ?? 0
    if (loopMs !== null && every > 0 && n % every === 0) {
      write(`${garbageLine(garbageCount++, rows[0], fields.length)}\n`)
    }
  }

  tick()
  if (loopMs === null || isHanging()) return
  // Slots aligned to the start; a late tick skips the slots it missed instead of bunching up.
  const schedule = (): void => {
    const elapsed = Date.now() - start
    const due = (Math.floor(elapsed / loopMs) + 1) * loopMs
    setTimeout(() => {
      tick()
      if (!isHanging()) schedule()
    }, due - elapsed)
  }
  schedule()
}

function clearEvents (stateFile: string | undefined, printed: readonly string[]): void {
  if (!stateFile) return
  try {
    updateSimState(stateFile, s => {
      const left = (s.events ?? []).filter(e => !printed.includes(e))
      if (left.length > 0) s.events = left
      else delete s.events
    })
  } catch {
    // The file went away or is being rewritten: the events print again next tick, harmless.
  }
}
