import { existsSync } from 'node:fs'
import { defaultSimGpu, writeSimState, type SimGpu, type SimState } from '../test/fakes/sim-state.ts'

/**
 * What `gpufleet up` simulates when the host has no nvidia-smi: a box a newcomer can read the
 * pages on. GPUs 0–3 busy (a training run: 85–97 %, ~900 W), GPU 4 busy and hot (89 °C, above
 * the health_degraded rule's 85 °C), GPUs 5–7 idle (the simulator's own idle B200s), every
 * value wandering a little. The simulator's default state (no state file: all idle) is what
 * tests rely on; this mix is `up`'s own choice, written once so an operator may edit it.
 */
export function demoSimState (): SimState {
  const busy = (index: number, util: number, temp: number, watts: number, usedMib: number): SimGpu => ({
    ...defaultSimGpu(index),
    utilizationGpu: util,
    utilizationMemory: Math.round(util * 0.6),
    temperatureGpu: temp,
    temperatureMemory: temp + 6,
    powerDraw: watts,
    powerDrawInstant: watts + 4,
    smClock: 1965,
    memClock: 3996,
    memoryBaseUsedMib: usedMib,
  })
  return {
    gpus: [
      busy(0, 94, 68, 905, 152_000),
      busy(1, 91, 71, 880, 152_000),
      busy(2, 97, 73, 942, 151_000),
      busy(3, 86, 66, 861, 149_000),
      busy(4, 99, 89, 985, 171_000),
      defaultSimGpu(5),
      defaultSimGpu(6),
      defaultSimGpu(7),
    ],
    processes: [],
    mode: 'normal',
    wander: true,
  }
}

/** The demo state at `path`, written unless a file is there already (an operator's edits are kept). */
export function ensureDemoSimState (path: string): string {
  if (!existsSync(path)) writeSimState(path, demoSimState())
  return path
}
