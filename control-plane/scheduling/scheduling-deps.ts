import type { RequireScope } from '../http/cp-env.ts'
import type { Store } from '../store/store.ts'
import type { SchedulerLogger, SchedulerPoke } from './create-scheduler.ts'
import type { AssignmentWatch } from './create-assignment-watch.ts'
import type { JobLogOptions } from './register-job-log-routes.ts'

/** What the scheduling routers take: a RouterContext's parts plus the scheduler to poke. */
export interface SchedulingRouterDeps {
  store: Store
  requireScope: RequireScope
  now: () => number
  log: SchedulerLogger
  /** Poked after a submit, a job ending, a hold lifted, a tenant's quota or status changed. */
  scheduler: SchedulerPoke
  /** Told of the node of a running job that ends (its agent's assignment poll wakes); none: polls see it within a second. */
  watch?: Pick<AssignmentWatch, 'notify'> | undefined
  /** Executed jobs' logs: retention and follow timing (defaults in register-job-log-routes.ts). */
  jobLogs?: JobLogOptions | undefined
  /** Aborted when the server starts to stop (RouterContext.closing): log followers end. */
  closing?: AbortSignal | undefined
}
