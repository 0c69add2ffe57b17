import type { SimState } from '../sim-state.ts'
import { dropHelpEntries, readFixture } from './field-catalog.ts'
import { DEFAULT_DRIVER_VERSION } from './gpu-rows.ts'
import { parseArgs } from './parse-args.ts'
import { NO_DEVICES, runQuery } from './run-query.ts'
import { selectGpus } from './select-gpus.ts'
import { renderListGpus } from './render-list-gpus.ts'
import { renderReport } from './render-report.ts'
import { liveGpus, liveProcesses, loadSimState } from './sim-host.ts'
import { EXIT_GPU_LOST, actOutFailure, deviceHandleError, handleSignals, write } from './sim-process.ts'

/**
 * Entry of the fake `nvidia-smi` (test/fakes/nvidia-smi execs Node on this file, so the pid
 * the agent sees is this process). State: NVIDIA_SMI_SIM_STATE, see ../sim-state.ts.
 */
const stateFile = process.env.NVIDIA_SMI_SIM_STATE || undefined
let state: SimState | undefined
handleSignals(() => state)

function readState (): SimState {
  try {
    state = loadSimState(stateFile)
  } catch (err) {
    process.stderr.write(`nvidia-smi simulator: cannot read ${stateFile}: ${(err as Error).message}\n`)
    process.exit(99)
  }
  return state
}

const cmd = parseArgs(process.argv.slice(2))
switch (cmd.kind) {
  case 'error':
    write(`${cmd.message}\n`)
    process.exitCode = cmd.exitCode
    break
  case 'version': {
    const driver = readState().driverVersion ?? DEFAULT_DRIVER_VERSION
    write(`NVIDIA-SMI version  : ${driver}\nNVML version        : ${driver.split('.').slice(0, 2).join('.')}\n` +
      `DRIVER version      : ${driver}\nCUDA Version        : 13.1\n`)
    break
  }
  case 'help-query': {
    const unknown = readState().unknownFields ?? []
    const text = readFixture(cmd.target === 'gpu' ? 'help-query-gpu.txt' : 'help-query-compute-apps.txt')
    write(dropHelpEntries(text, unknown))
    break
  }
  case 'list-gpus': {
    const s = readState()
    if (actOutFailure(s)) break
    const gpus = selectGpus(s.gpus, cmd.ids)
    if (gpus === null) {
      write(`${NO_DEVICES}\n`)
      process.exitCode = 6
      break
    }
    // A GPU off the bus prints the driver's error in its place, and the run exits 15.
    const live = selectGpus(liveGpus(s, Date.now()), cmd.ids) ?? []
    write(live.map(g => g.lost ? `${deviceHandleError(g)}\n` : renderListGpus([g])).join(''))
    if (live.some(g => g.lost)) process.exitCode = EXIT_GPU_LOST
    break
  }
  case 'report': {
    const s = readState()
    if (actOutFailure(s)) break
    const now = new Date()
    const gpus = selectGpus(liveGpus(s, now.getTime()), cmd.ids)
    if (gpus === null) {
      write(`${NO_DEVICES}\n`)
      process.exitCode = 6
      break
    }
    write(renderReport(gpus, liveProcesses(s), s.driverVersion ?? DEFAULT_DRIVER_VERSION, now))
    break
  }
  case 'query':
    readState()
    runQuery(cmd, stateFile, s => { state = s })
    break
}
