import { EXIT } from '../exit-codes.ts'

/** A CLI failure with its exit code and a message that says what to do. */
export class CliError extends Error {
  readonly exitCode: number
  constructor (exitCode: number, message: string) {
    super(message)
    this.name = 'CliError'
    this.exitCode = exitCode
  }
}

export const usageError = (message: string): CliError => new CliError(EXIT.USAGE, message)

/** A positive integer argument or flag, or a usage error naming it. */
export function positiveInt (value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined
  if (!/^[0-9]{1,10}$/.test(value) || Number(value) < 1) throw usageError(`${name} must be a positive integer, got ${JSON.stringify(value)}`)
  return Number(value)
}

/** One of a closed list of values, or a usage error naming the flag and the choices. */
export function oneOf<T extends string> (value: unknown, allowed: readonly T[], flag: string): T | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw usageError(`${flag} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`)
  return value as T
}

/** --days: the API's billing window, 1–90 whole UTC days. */
export function daysOf (value: unknown): number | undefined {
  const days = positiveInt(value === undefined ? undefined : String(value), '--days')
  if (days !== undefined && days > 90) throw usageError(`--days must be at most 90, got ${days}`)
  return days
}
