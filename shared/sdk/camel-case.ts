/**
 * snake_case on the wire, camelCase in JavaScript (seed 004: `memory_freed_gb` →
 * `memoryFreedGb`). Only lower-case snake keys are converted; values under OPAQUE keys are
 * data, not schema (free-form event `detail`, global-env `value`, per-reason counts, a job's
 * `env` variable names), so they pass through unchanged both ways.
 */
const OPAQUE = new Set(['detail', 'details', 'value', 'waiting', 'env'])

type CamelKey<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<CamelKey<T>>}` : S

/** The camelCase view of a snake_case wire type. */
export type Camel<T> = T extends ReadonlyArray<infer U>
  ? Array<Camel<U>>
  : T extends object
    ? { [K in keyof T as K extends string ? CamelKey<K> : K]: K extends 'detail' | 'details' | 'value' | 'waiting' | 'env' ? T[K] : Camel<T[K]> }
    : T

const SNAKE = /^[a-z][a-z0-9]*(_[a-z0-9]+)+$/
const CAMEL = /^[a-z][a-zA-Z0-9]*$/

export function camelize<T> (value: T): Camel<T> {
  return convert(value, key => SNAKE.test(key) ? key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()) : key) as Camel<T>
}

export function snakeize (value: unknown): unknown {
  return convert(value, key => CAMEL.test(key) ? key.replace(/[A-Z]/g, c => `_${c.toLowerCase()}`) : key)
}

function convert (value: unknown, rename: (key: string) => string): unknown {
  if (Array.isArray(value)) return value.map(v => convert(v, rename))
  if (value === null || typeof value !== 'object' || value.constructor !== Object) return value
  const out: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(value)) out[rename(key)] = OPAQUE.has(key) ? v : convert(v, rename)
  return out
}
