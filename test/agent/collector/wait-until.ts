/**
 * Poll `condition` until it holds or `timeoutMs` passes (generous: CI has two noisy cores).
 * Tests wait for a state, never for a fixed time.
 */
export async function waitUntil (condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}
