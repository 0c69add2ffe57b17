import type { Loop, LoopContext } from '../loops/loop.ts'
import { createSlurmImportLoop } from './create-slurm-import-loop.ts'
import { slurmSourceFromConfig } from './slurm-source-from-config.ts'

/**
 * The Slurm import as one of the leader's background loops (it runs while this replica holds
 * the leader lease). --slurm-interval off, or no slurmrestd URL and no sacct on this host: a
 * loop that only says so once, so a control plane without Slurm logs no failures.
 */
export function createSlurmLoop (ctx: LoopContext): Loop {
  const config = ctx.config
  if (config === undefined || config.slurmIntervalMs === null) return { start () {}, stop () {} }
  const source = slurmSourceFromConfig(config)
  if (source === null) {
    return {
      start () { ctx.log.info({ sacct: config.slurmSacct }, 'slurm import off: no --slurm-rest-url, and no sacct with a slurm.conf on this host') },
      stop () {},
    }
  }
  return createSlurmImportLoop({ repo: ctx.store.slurm, source, now: ctx.now, log: ctx.log, everyMs: config.slurmIntervalMs })
}
