const NEWLINE = 0x0a

/**
 * The last `n` lines of `bytes`: a final newline ends the last line rather than starting an
 * empty one (as `tail -n` reads it). Bytes, not text: a log may hold anything.
 */
export function tailLines (bytes: Buffer, n: number): Buffer {
  let end = bytes.length
  if (end > 0 && bytes[end - 1] === NEWLINE) end--
  let seen = 0
  for (let i = end - 1; i >= 0; i--) {
    if (bytes[i] === NEWLINE && ++seen === n) return bytes.subarray(i + 1)
  }
  return bytes
}
