/**
 * `value` as a list of objects that each carry a string `key` (other fields kept, unchecked),
 * or null when it is anything else. The runtimes' listings are checked with this instead of
 * zod, which would cost the agent ~5 MB of resident memory for three small shapes.
 */
export function stringKeyedEntries<K extends string> (value: unknown, key: K): Array<Record<K, string> & Record<string, unknown>> | null {
  if (!Array.isArray(value)) return null
  for (const entry of value) {
    if (!isJsonObject(entry) || typeof entry[key] !== 'string') return null
  }
  return value as Array<Record<K, string> & Record<string, unknown>>
}

/** A JSON object (not null, not an array). */
export function isJsonObject (value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
