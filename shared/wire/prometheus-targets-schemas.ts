import { z } from '@hono/zod-openapi'

/** GET /api/prometheus/targets: Prometheus' http_sd format (a JSON array of target groups). */
export const prometheusTargetGroupSchema = z.object({
  targets: z.array(z.string()).openapi({ description: 'host:port of the agent\'s /metrics, from the agent_url its node registered', example: ['gpu-07.example.internal:9410'] }),
  labels: z.object({
    cluster: z.string(),
    region: z.string().openapi({ description: 'The cluster\'s region; "" when it has none' }),
    hostname: z.string(),
    __scheme__: z.enum(['http', 'https']).openapi({ description: 'From agent_url: Prometheus scrapes the agent as it registered' }),
    __metrics_path__: z.literal('/metrics'),
  }),
}).openapi('PrometheusTargetGroup')

export const prometheusTargetsSchema = z.array(prometheusTargetGroupSchema)

export const prometheusTargetsQuerySchema = z.object({
  cluster: z.string().min(1).max(128).optional().openapi({ description: 'Only this cluster\'s agents (by name); 404 CLUSTER_NOT_FOUND for an unknown one' }),
})
