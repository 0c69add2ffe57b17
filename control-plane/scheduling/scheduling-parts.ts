import type { RouterMount } from '../http/router-mount.ts'
import type { Loop, LoopContext } from '../loops/loop.ts'
import type { Store } from '../store/store.ts'
import { createJobsRouter } from './create-jobs-router.ts'
import { JOB_LOG_UPLOAD_PATH } from './register-job-log-routes.ts'
import { MAX_LOG_CHUNK_BYTES } from '../../shared/wire/job-execution.ts'
import { createScheduler, type Scheduler, type SchedulerOptions } from './create-scheduler.ts'
import { createSchedulingDashboardRouter } from './create-scheduling-dashboard-router.ts'
import { createTenantsRouter } from './create-tenants-router.ts'
import { createAgentJobsRouter } from './create-agent-jobs-router.ts'
import { createAssignmentWatch, type AssignmentWatch } from './create-assignment-watch.ts'

export type SchedulingOptions = Pick<SchedulerOptions, 'everyMs' | 'debounceMs' | 'staleAfterMs' | 'timers' | 'aging'>

/**
 * Tenants, jobs and the scheduler composed for productParts(): four routers mounted at '/'
 * and the scheduler loop, sharing one scheduler per store (the routers poke the same one the
 * loop starts; built by whichever asks first, as the fleet service is). `schedulerOf` hands
 * that scheduler to other domains' wiring (telemetry ingest tells it of GPUs turned idle).
 */
export function schedulingParts (options: SchedulingOptions = {}): { routers: RouterMount[], loops: Array<(ctx: LoopContext) => Loop>, schedulerOf: (ctx: LoopContext) => Scheduler } {
  const schedulers = new WeakMap<Store, Scheduler>()
  // Agents' assignment polls wait on it; the scheduler and the routers that end jobs wake them.
  const watches = new WeakMap<Store, AssignmentWatch>()
  const watchOf = (store: Store): AssignmentWatch => {
    let w = watches.get(store)
    if (w === undefined) watches.set(store, w = createAssignmentWatch({ timers: options.timers }))
    return w
  }
  const schedulerOf = (ctx: LoopContext): Scheduler => {
    let s = schedulers.get(ctx.store)
    if (s === undefined) {
      s = createScheduler({ store: ctx.store, now: ctx.now, log: ctx.log, registry: ctx.registry, onJobsChanged: ids => watchOf(ctx.store).notify(ids), ...options })
      schedulers.set(ctx.store, s)
    }
    return s
  }
  return {
    routers: [
      { path: '/', router: ctx => createTenantsRouter({ ...ctx, scheduler: schedulerOf(ctx) }) },
      {
        path: '/',
        router: ctx => createJobsRouter({ ...ctx, scheduler: schedulerOf(ctx), watch: watchOf(ctx.store), jobLogs: { retainBytes: ctx.config?.jobLogRetainBytes } }),
        // Agents' log chunks: raw bytes, up to MAX_LOG_CHUNK_BYTES whatever --body-limit-bytes says.
        bodyLimits: [{ prefix: '/api/agent/jobs', bytes: MAX_LOG_CHUNK_BYTES }],
        rawBodyPaths: [JOB_LOG_UPLOAD_PATH],
      },
      { path: '/', router: ctx => createAgentJobsRouter({ ...ctx, scheduler: schedulerOf(ctx), watch: watchOf(ctx.store) }) },
      { path: '/', router: ctx => createSchedulingDashboardRouter(ctx) },
    ],
    loops: [
      ctx => {
        const s = schedulerOf(ctx)
        return { start: () => s.start(), stop: () => s.stop() }
      },
    ],
    schedulerOf,
  }
}
