import { collectDefaultMetrics, type Registry } from 'prom-client'

/**
 * prom-client's process and Node.js metrics (CPU seconds, resident memory, heap, event-loop
 * lag, GC) under `prefix`, less its three `nodejs_active_*_total` gauges: a gauge must not end
 * in `_total` (promtool check metrics), and `nodejs_active_{handles,requests,resources}{type}`
 * already carry the same counts per type. Event-loop sampling every `eventLoopMs` (1 s: the
 * 10 ms default wakes an idle process 100×/s).
 */
export function collectProcessMetrics (registry: Registry, prefix: string, eventLoopMs = 1000): void {
  // Once per registry (a restarted server in one process may bring the registry it had).
  if (registry.getSingleMetric(`${prefix}process_cpu_seconds_total`) !== undefined) return
  collectDefaultMetrics({ register: registry, prefix, eventLoopMonitoringPrecision: eventLoopMs })
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(prefix + name)
  }
}
