import { statSync } from 'node:fs'
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { AuthFailureReason } from '../auth/create-require-scope.ts'

export interface CpMetrics {
  /** The private registry /metrics serves: routers register their own counters on it. */
  registry: Registry
  observeRequest: (labels: { method: string, route: string, status: number }, seconds: number) => void
  authFailure: (reason: AuthFailureReason) => void
  render: () => Promise<string>
  contentType: string
}

export interface CpMetricsOptions {
  registry?: Registry
  /** SQLite file whose size (main + WAL) is reported; omitted for other engines. */
  dbPath?: string
}

const PREFIX = 'gpufleet_cp_'

/**
 * The control plane's own figures on a private registry (never prom-client's global one, so
 * two apps in one test process don't collide). Routes are labelled by their pattern
 * (`/api/api-keys/:id`), never the raw path, so label cardinality stays bounded.
 */
export function createCpMetrics (options: CpMetricsOptions = {}): CpMetrics {
  const registry = options.registry ?? new Registry()
  const requests = new Counter({
    name: `${PREFIX}http_requests_total`,
    help: 'HTTP requests answered, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  })
  const duration = new Histogram({
    name: `${PREFIX}http_request_duration_seconds`,
    help: 'HTTP request latency in seconds, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  })
  const authFailures = new Counter({
    name: `${PREFIX}auth_failures_total`,
    help: 'Requests refused by authentication, by reason (missing, invalid, rate_limited).',
    labelNames: ['reason'],
    registers: [registry],
  })
  const dbPath = options.dbPath
  if (dbPath !== undefined && dbPath !== ':memory:') {
    new Gauge({
      name: `${PREFIX}store_db_bytes`,
      help: 'Size of the SQLite database on disk in bytes (main file plus WAL).',
      registers: [registry],
      collect () { this.set(fileSize(dbPath) + fileSize(`${dbPath}-wal`)) },
    })
  }
  return {
    registry,
    observeRequest (labels, seconds) {
      const l = { method: labels.method, route: labels.route, status: String(labels.status) }
      requests.inc(l)
      duration.observe(l, seconds)
    },
    authFailure (reason) { authFailures.inc({ reason }) },
    render: () => registry.metrics(),
    contentType: registry.contentType,
  }
}

function fileSize (path: string): number {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}
