import type { SimState } from '../sim-state.ts'
import { renderComputeAppRows } from './compute-app-rows.ts'
import { loadComputeAppsCatalog, loadGpuCatalog } from './field-catalog.ts'
import { renderGpuRows } from './gpu-rows.ts'
import type { SimCommand } from './parse-args.ts'
import { renderHeader } from './render-csv.ts'
import { selectGpus } from './select-gpus.ts'
import { liveGpus, liveProcesses, loadSimState } from './sim-host.ts'
import { EXIT_GPU_LOST, actOutFailure, deviceHandleError, hang, isHanging, write } from './sim-process.ts'

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
  // nvidia-smi opens the devices once, at start: a loop prints only the GPUs it opened then.
  const opened = new Set(state.gpus.filter(g => !g.lost).map(g => g.index))
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
    const live = liveGpus(state, now.getTime())
    const lostNow = live.filter(g => g.lost && opened.has(g.index))
    if (n > 0 && lostNow.length > 0) {
      // A GPU fell off the bus under a running loop: NVML loses its handle and the loop ends.
      write(lostNow.map(g => `${deviceHandleError(g)}\n`).join(''))
      process.exit(EXIT_GPU_LOST)
    }
    const lostAtStart = n === 0 ? live.filter(g => g.lost) : []
    if (lostAtStart.length > 0) write(lostAtStart.map(g => `${deviceHandleError(g)}\n`).join(''))
    const gpus = selectGpus(live.filter(g => opened.has(g.index) && !g.lost), cmd.ids)
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
    write(lines.map(l => `${l}\n`).join(''))
    n++
    // A one-shot run that could not open every GPU says so in its exit code.
    if (loopMs === null && lostAtStart.length > 0) process.exitCode = EXIT_GPU_LOST
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
