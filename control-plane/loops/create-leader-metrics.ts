import { Counter, Gauge, type Registry } from 'prom-client'
import type { LeaderLease } from './leader-lease.ts'

/** gpufleet_cp_leader (1 while this replica runs the background loops) and its changes. */
export function createLeaderMetrics (registry: Registry, lease: LeaderLease): void {
  new Gauge({
    name: 'gpufleet_cp_leader',
    help: '1 while this replica holds the leader lease and runs the background loops, else 0.',
    registers: [registry],
    collect () { this.set(lease.isLeader() ? 1 : 0) },
  })
  const changes = new Counter({
    name: 'gpufleet_cp_leader_changes_total',
    help: 'Leader lease changes on this replica, by change (gained, lost).',
    labelNames: ['change'],
    registers: [registry],
  })
  changes.inc({ change: 'gained' }, lease.status().gains)
  changes.inc({ change: 'lost' }, lease.status().losses)
  lease.onChange(leader => { changes.inc({ change: leader ? 'gained' : 'lost' }) })
}
