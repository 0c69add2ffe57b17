import { parseArgs } from 'node:util'

/**
 * One option per key: a string is a `--name value` option with that default, a boolean a flag
 * with that default, null a value that must be given, undefined one that may be left out.
 */
type ArgSpec = Record<string, string | boolean | null | undefined>
type Args<S extends ArgSpec> = { [K in keyof S]: S[K] extends boolean ? boolean : S[K] extends undefined ? string | undefined : string }

/** A bench's command line (process.argv), every value a string as typed; a missing required one throws naming it. */
export function benchArgs<S extends ArgSpec> (spec: S): Args<S> {
  const options = Object.fromEntries(Object.entries(spec).map(([name, d]) =>
    [name, typeof d === 'boolean' ? { type: 'boolean' as const, default: d } : { type: 'string' as const, ...(typeof d === 'string' ? { default: d } : {}) }]))
  const { values } = parseArgs({ options })
  const missing = Object.keys(spec).filter(name => spec[name] === null && values[name] === undefined)
  if (missing.length > 0) throw new Error(`${missing.map(name => `--${name}`).join(' and ')} ${missing.length === 1 ? 'is' : 'are'} required`)
  return values as Args<S>
}
