import type { Logger } from '../../shared/logger.ts'
import type { Timers } from '../../shared/timers.ts'
import { createBackoff } from '../uplink/create-backoff.ts'
import { createUpstream } from '../uplink/create-upstream.ts'
import { createAssignmentClient } from './create-assignment-client.ts'
import { createEventReporter } from './create-event-reporter.ts'
import { createExecutor, type Executor, type ExecutorOptions } from './create-executor.ts'
import { createLogUploader } from './create-log-uploader.ts'

export interface JobsOptions extends Omit<ExecutorOptions, 'onEvent'> {
  controlPlaneUrl: string
  controlPlaneCa?: Buffer | undefined
  /** The agent's cluster-bound (ingest) key. */
  apiKey?: string | undefined
  userAgent: string
  timers?: Timers
  log: Logger
  /** Long poll hold (default 25 s). */
  waitS?: number
}

export interface RunningJobs {
  /** The running job whose session `pid` belongs to (attribution of GPU processes). */
  jobOfPid: Executor['jobOfPid']
  executor: Executor
  stop: () => Promise<void>
}

/**
 * Executed jobs on this node: re-adopt what still runs, then long-poll assignments, report run
 * events and upload logs. Stop order: no new assignments, then the senders (what they had not
 * sent is in the state file), then the watch loop. The jobs themselves keep running: the next
 * agent re-adopts them.
 */
export function startJobs (o: JobsOptions): RunningJobs {
  const upstream = createUpstream({ baseUrl: o.controlPlaneUrl, userAgent: o.userAgent, ca: o.controlPlaneCa, ...(o.apiKey !== undefined ? { apiKey: o.apiKey } : {}) })
  let kickReporter = (): void => {}
  const executor = createExecutor({ ...o, onEvent: () => kickReporter() })
  const reporter = createEventReporter({ upstream, store: executor.store, log: o.log, backoff: createBackoff(), timers: o.timers })
  kickReporter = reporter.kick
  const uploader = createLogUploader({ upstream, store: executor.store, hostname: o.hostname, log: o.log, backoff: createBackoff(), timers: o.timers, pollMs: o.pollMs })
  const assignments = createAssignmentClient({ upstream, hostname: o.hostname, onAssignments: executor.converge, log: o.log, backoff: createBackoff(), timers: o.timers, waitS: o.waitS })
  executor.start()
  reporter.start()
  uploader.start()
  assignments.start()
  return {
    jobOfPid: executor.jobOfPid,
    executor,
    async stop () {
      await assignments.stop()
      await Promise.all([reporter.stop(), uploader.stop()])
      await executor.stop()
      await upstream.close()
    },
  }
}
