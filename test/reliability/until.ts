/** Polls until `fn` is truthy (every 100 ms, up to `ms`); throws naming what never happened. No timing is asserted. */
export async function until<T> (what: string, fn: () => T | Promise<T>, ms = 90_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await Promise.resolve().then(fn).catch(() => undefined)
    if (v) return v as NonNullable<T>
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`)
    await new Promise(r => setTimeout(r, 100))
  }
}
