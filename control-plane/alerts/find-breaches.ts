import type { AlertRule } from '../store/alert-repository.ts'
import type { Store } from '../store/store.ts'
import type { Findings } from './alert-rule-types.ts'
import { healthBreaches } from './health-breaches.ts'
import { idleGpuBreaches } from './idle-gpu-breaches.ts'
import { quotaBreaches } from './quota-breaches.ts'

/** Reads what `rule` needs from the store and judges it at `now`. */
export async function findBreaches (store: Pick<Store, 'dashboard' | 'fleet'>, rule: AlertRule, now: number): Promise<Findings> {
  switch (rule.ruleType) {
    case 'idle_gpu':
      return idleGpuBreaches(await store.dashboard.heldGpuUtilization(now - rule.threshold * 60_000, now), rule.threshold, now)
    case 'quota_breach':
      return quotaBreaches(await store.dashboard.tenantQuotas(), rule.threshold)
    case 'health_degraded': {
      const [nodes, gpus] = await Promise.all([store.fleet.listNodes(), store.dashboard.gpuStates()])
      return healthBreaches(nodes, gpus, rule.threshold, now)
    }
  }
}
