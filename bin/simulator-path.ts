import { join, resolve } from 'node:path'

/** The built-in nvidia-smi simulator (test/fakes/nvidia-smi): used on hosts without GPUs. */
export const SIMULATOR_PATH = join(resolve(import.meta.dirname, '..'), 'test', 'fakes', 'nvidia-smi')

export const SIMULATOR_BANNER = [
  '┌──────────────────────────────────────────────────────────────────────┐',
  '│ SIMULATED GPUs: no nvidia-smi on this host, so the agent reads the   │',
  '│ built-in nvidia-smi simulator (8× NVIDIA B200). Numbers are not real.│',
  '└──────────────────────────────────────────────────────────────────────┘',
].join('\n')
