import { existsSync } from 'node:fs'

/**
 * Loaded with `node --import` into a gpufleet server by signal-after-ready.test.ts: once the
 * write that carries GPUFLEET_TEST_HOLD_AFTER (its ready line, on stdout or stderr) has reached
 * the pipe, the process blocks inside that write until the file GPUFLEET_TEST_RELEASE exists
 * (the test creates it after its signal). A signal that lands right after the ready line, which
 * a loaded host does only now and then, lands there every time.
 */
const text = process.env.GPUFLEET_TEST_HOLD_AFTER
const release = process.env.GPUFLEET_TEST_RELEASE
if (text !== undefined && release !== undefined) {
  const tick = new Int32Array(new SharedArrayBuffer(4))
  let held = false
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      const ok = write(chunk, ...rest)
      if (!held && String(chunk).includes(text)) {
        held = true
        // Bounded, so a test that never releases it fails on its own assertions, not on a hang.
        const deadline = Date.now() + 60_000
        while (!existsSync(release) && Date.now() < deadline) Atomics.wait(tick, 0, 0, 10)
      }
      return ok
    }) as typeof stream.write
  }
}
