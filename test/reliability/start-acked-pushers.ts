import { GPU_STATS_PATH } from '../../shared/wire/gpu-stats.ts'
import type { RegisteredSim } from './fleet-client.ts'

export interface AckedPush { nodeId: number, at: number, rows: number }

/**
 * One sequential pusher per simulated agent, as fast as acknowledgements come (or, `realTime`,
 * once a second on the clock), each tick one second after the last (from `fromMs`), recording exactly what the control plane
 * acknowledged (200 with `accepted`). Failures (connection refused, reset mid-request) are
 * counted and that tick is skipped: it was never acknowledged, so nothing is owed for it.
 */
export function startAckedPushers (base: () => string, key: string, sims: readonly RegisteredSim[], fromMs: number, realTime = false) {
  const acked: AckedPush[] = []
  let failed = 0
  const statuses: Record<string, number> = {}
  const count = (what: string) => { statuses[what] = (statuses[what] ?? 0) + 1 }
  let running = true
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${key}` }
  const loops = sims.map(async ({ sim, nodeId }) => {
    const template = sim.pushTemplate(nodeId)
    for (let at = fromMs; running; at += 1000) {
      if (realTime && at > Date.now()) await new Promise(r => setTimeout(r, at - Date.now()))
      try {
        const res = await fetch(`${base()}${GPU_STATS_PATH}`, {
          method: 'POST', headers, body: template.join(JSON.stringify(new Date(at).toISOString())), signal: AbortSignal.timeout(10_000),
        })
        const body = await res.json() as { accepted?: number }
        count(String(res.status))
        if (res.status === 200) acked.push({ nodeId, at, rows: body.accepted ?? 0 })
        else failed++
      } catch {
        count('network error')
        failed++
        await new Promise(r => setTimeout(r, 50))
      }
    }
  })
  return {
    acked: () => acked as readonly AckedPush[],
    failed: () => failed,
    /** Answers by HTTP status ('network error' when there was none). */
    statuses: () => ({ ...statuses }),
    async stop () {
      running = false
      await Promise.all(loops)
    },
  }
}
