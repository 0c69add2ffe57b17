import { AgentError } from '../errors.ts'
import type { ChildProcess } from 'node:child_process'
import type { BackoffOptions } from '../../shared/backoff-delay.ts'
import type { Timers } from '../../shared/timers.ts'
import type { Logger } from '../../shared/logger.ts'

/** The pino methods the collector uses (a pino logger fits as is). */
export type CollectorLog = Logger

export interface CollectorOptions {
  nvidiaSmiPath: string
  /** Loop period (`-lms`). */
  intervalMs: number
  computeAppsIntervalMs: number
  log: CollectorLog
  /** Agent clock, epoch ms: stamps snapshots. */
  now?: () => number
  /**
   * A clock that never steps (ms, any origin): the watchdog and data ages run on it, so a
   * wall-clock step (NTP, an operator's `date -s`) cannot make stale data look fresh.
   */
  monotonicNow?: () => number
  /** The agent's own environment (PATH, LD_LIBRARY_PATH, what agent.env sets); children inherit it. */
  baseEnv?: NodeJS.ProcessEnv
  /** Extra environment of every nvidia-smi child, on top of baseEnv. */
  env?: NodeJS.ProcessEnv
  /**
   * Restart delays of the loop child after it exits: doubling from initialMs, capped at maxMs
   * (the cap bounds how long a fault that has cleared takes to be noticed), reset by a healthy tick.
   */
  backoff?: BackoffOptions
  /** Limit of one-shot runs (probe, readNow, compute apps). */
  oneShotTimeoutMs?: number
  /** SIGTERM → SIGKILL grace when killing a child. */
  killGraceMs?: number
  /**
   * How long a fresh loop child may take to print its first complete tick. NVML start-up on a
   * host without persistence mode can take seconds; later ticks get 3 intervals.
   */
  firstSnapshotTimeoutMs?: number
  /** After SIGKILL, how long a child may take to go before it is abandoned (stuck in the driver). */
  abandonAfterMs?: number
  /** While a GPU is missing, how often a one-shot query checks whether it is back. */
  missingRecheckMs?: number
  timers?: Timers
  /** Signal delivery to children; a seam for tests that model a child SIGKILL cannot end. */
  signalChild?: (child: ChildProcess, signal: NodeJS.Signals) => void
}

export type ResolvedCollectorOptions = Readonly<Required<CollectorOptions>>

export const COLLECTOR_DEFAULTS = {
  // Recovery after a fault clears must take ≤ 5 s: the longest wait before the next try is 3 s.
  backoff: { initialMs: 1000, maxMs: 3000 },
  oneShotTimeoutMs: 10_000,
  killGraceMs: 2000,
  // A child's first tick may take longer than 3 intervals (NVML start-up); the allowance also
  // grows to twice what the start-up probe took, so a slow host is not killed in a loop.
  firstSnapshotTimeoutMs: 3000,
  abandonAfterMs: 5000,
  missingRecheckMs: 10_000,
} as const

const deliverSignal = (child: ChildProcess, signal: NodeJS.Signals): void => { child.kill(signal) }

const globalTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: handle => clearTimeout(handle as NodeJS.Timeout),
}

function check (ok: boolean, option: string, expected: string, got: unknown): void {
  if (!ok) throw new AgentError('CONFIG_INVALID', `createCollector: option ${option} must be ${expected}, got ${JSON.stringify(got)}`)
}

const isInt = (v: unknown, min: number): boolean => typeof v === 'number' && Number.isInteger(v) && v >= min

/** Checked once when the collector is built; a bad option names itself. */
export function resolveCollectorOptions (options: CollectorOptions): ResolvedCollectorOptions {
  // An option passed as undefined means "the default", as if it were left out.
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as CollectorOptions
  const o = {
    ...COLLECTOR_DEFAULTS,
    now: Date.now,
    monotonicNow: () => performance.now(),
    // The defaults object is where the agent's globals come in (like Date.now and the timers).
    baseEnv: process.env,
    env: {},
    timers: globalTimers,
    signalChild: deliverSignal,
    ...given,
  }
  check(typeof o.nvidiaSmiPath === 'string' && o.nvidiaSmiPath !== '', 'nvidiaSmiPath', 'a non-empty path', o.nvidiaSmiPath)
  check(isInt(o.intervalMs, 10), 'intervalMs', 'an integer ≥ 10', o.intervalMs)
  check(isInt(o.computeAppsIntervalMs, 10), 'computeAppsIntervalMs', 'an integer ≥ 10', o.computeAppsIntervalMs)
  check(isInt(o.oneShotTimeoutMs, 1), 'oneShotTimeoutMs', 'an integer ≥ 1', o.oneShotTimeoutMs)
  check(isInt(o.killGraceMs, 0), 'killGraceMs', 'an integer ≥ 0', o.killGraceMs)
  check(isInt(o.firstSnapshotTimeoutMs, 1), 'firstSnapshotTimeoutMs', 'an integer ≥ 1', o.firstSnapshotTimeoutMs)
  check(isInt(o.abandonAfterMs, 0), 'abandonAfterMs', 'an integer ≥ 0', o.abandonAfterMs)
  check(isInt(o.missingRecheckMs, 10), 'missingRecheckMs', 'an integer ≥ 10', o.missingRecheckMs)
  check(isInt(o.backoff?.initialMs, 1) && isInt(o.backoff?.maxMs, o.backoff?.initialMs ?? 1), 'backoff',
    '{initialMs ≥ 1, maxMs ≥ initialMs}', o.backoff)
  check(['debug', 'info', 'warn', 'error'].every(m => typeof (o.log as unknown as Record<string, unknown>)?.[m] === 'function'),
    'log', 'a logger with debug/info/warn/error', typeof o.log)
  return Object.freeze(o)
}
