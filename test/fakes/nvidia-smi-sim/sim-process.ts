import type { SimState } from '../sim-state.ts'

/** What a real host prints when the driver is gone; used when the state gives no message. */
export const DRIVER_GONE = "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. " +
  'Make sure that the latest NVIDIA driver is installed and running.'

// stdout to a pipe is synchronous on Linux, so a line is out before the next statement runs.
export function write (text: string): void {
  if (text !== '') process.stdout.write(text)
}

let hanging = false

/** nvidia-smi's exit code for "a GPU has fallen off the bus or otherwise become inaccessible". */
export const EXIT_GPU_LOST = 15

/** What the real CLI prints for a device it cannot open (NVML gives no handle for it). */
export function deviceHandleError (gpu: { pciBusId: string, lost?: boolean | string }): string {
  return `Unable to determine the device handle for GPU ${gpu.pciBusId}: ${typeof gpu.lost === 'string' ? gpu.lost : 'Unknown Error'}`
}

/** A wedged driver call: print nothing more and never exit (a timer keeps the process alive). */
export function hang (): void {
  if (hanging) return
  hanging = true
  setInterval(() => {}, 2 ** 30)
}

export function isHanging (): boolean {
  return hanging
}

/** Acts out `mode: 'exit' | 'hang'`; true when the caller must stop printing. */
export function actOutFailure (state: SimState): boolean {
  if (state.mode === 'exit') {
    // The real CLI prints its failures on stdout, not stderr.
    write(`${state.exitMessage ?? DRIVER_GONE}\n`)
    process.exit(state.exitCode ?? 9)
  }
  if (state.mode === 'hang') hang()
  return hanging
}

/**
 * SIGTERM/SIGINT end the process cleanly, unless the state asks it to ignore SIGTERM (a
 * child stuck in the driver, which only SIGKILL ends). `current` returns the newest state.
 */
export function handleSignals (current: () => SimState | undefined): void {
  process.on('SIGINT', () => process.exit(0))
  process.on('SIGTERM', () => {
    if (!current()?.ignoreSigterm) process.exit(0)
  })
  // The reader went away (agent killed us or closed the pipe): nothing left to do.
  process.stdout.on('error', () => process.exit(0))
}
