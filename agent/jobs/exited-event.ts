import { constants } from 'node:os'
import type { JobRunEvent, RunFailure } from '../../shared/wire/job-execution.ts'
import type { StopReason } from './open-job-state.ts'

export type ExitedEvent = Extract<JobRunEvent, { event: 'exited' }>

/** How a job's leader ended: an exit code, a signal, or (re-adopted, no status recorded) unknown. */
export type JobOutcome =
  | { kind: 'exit', code: number }
  | { kind: 'signal', signal: string }
  | { kind: 'unknown' }

/**
 * The exited event for an outcome. A stop the agent made decides the failure (TIMEOUT; null
 * for a job no longer assigned: the control plane already decided its fate), else the exit:
 * 0 → null (completed), non-zero → EXIT_CODE, a signal → SIGNAL. An unknown outcome (the job
 * ended while the agent was down and its wrapper recorded nothing: it was SIGKILLed) is SIGNAL
 * with no signal named.
 */
export function exitedEvent (outcome: JobOutcome, stopReason: StopReason | null, base: { hostname: string, run: number, at: string }): ExitedEvent {
  const exitCode = outcome.kind === 'exit' ? outcome.code : null
  const signal = outcome.kind === 'signal' ? outcome.signal : null
  let failure: RunFailure | null
  let message: string | null = null
  if (stopReason === 'timeout') {
    failure = 'TIMEOUT'
    message = 'stopped by the agent at its time limit'
  } else if (stopReason === 'unassigned') {
    failure = null
  } else if (outcome.kind === 'exit') {
    failure = outcome.code === 0 ? null : 'EXIT_CODE'
  } else {
    failure = 'SIGNAL'
  }
  if (outcome.kind === 'unknown') {
    message = `${message === null ? '' : `${message}; `}it ended while the agent was not running and left no exit status (killed by SIGKILL?)`
  }
  return { event: 'exited', ...base, exit_code: exitCode, signal, failure, message }
}

/** What the exit-status wrapper wrote: its status, 129–192 being 128 + a signal number. */
export function parseExitStatus (text: string): JobOutcome {
  const s = text.trim()
  if (!/^\d{1,3}$/.test(s)) return { kind: 'unknown' }
  const status = Number(s)
  if (status > 128 && status < 193) {
    const name = signalName(status - 128)
    if (name !== null) return { kind: 'signal', signal: name }
  }
  return { kind: 'exit', code: status }
}

function signalName (n: number): string | null {
  for (const [name, number] of Object.entries(constants.signals)) if (number === n) return name
  return null
}

export function launchFailedEvent (message: string, base: { hostname: string, run: number, at: string }): ExitedEvent {
  return { event: 'exited', ...base, exit_code: null, signal: null, failure: 'LAUNCH_FAILED', message }
}
