import { setTimeout as delay } from 'node:timers/promises'

/**
 * Polls `condition` until it holds, calling `step` (e.g. advance fake time, emit a tick)
 * between polls. The bound is generous on purpose: it is a hang detector, not a timing
 * assertion, and the CI box has 2 noisy cores.
 */
export async function until (what: string, condition: () => boolean, step?: () => void | Promise<void>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`)
    await step?.()
    await delay(2)
  }
}
