import { Option } from 'commander'

/**
 * A commander option that also reads GPUFLEET_<FLAG_NAME> (DESIGN.md: every flag has an env
 * twin so systemd EnvironmentFile= works; a flag on the command line wins over the env).
 * `--interval-ms <ms>` ↔ GPUFLEET_INTERVAL_MS. No default here: defaults live in each
 * component's config schema, so "not given" stays distinguishable from "given".
 */
export function envOption (flags: string, description: string): Option {
  const option = new Option(flags, description)
  const long = option.long
  if (long === undefined) throw new Error(`envOption needs a --long flag: ${flags}`)
  return option.env(envName(long))
}

export function envName (longFlag: string): string {
  return `GPUFLEET_${longFlag.replace(/^--/, '').replace(/-/g, '_').toUpperCase()}`
}

/** Drop undefined entries so config schemas apply their defaults. */
export function definedOnly<T extends Record<string, unknown>> (opts: T): Partial<T> {
  return Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as Partial<T>
}
