/**
 * The wire paths the agent calls on the control plane, apart from their zod schemas: the
 * agent imports only these (and types), so zod stays off its runtime path (memory).
 */
export const INTROSPECT_PATH = '/api/auth/introspect'
export const NODES_PATH = '/api/clusters/nodes'
export const GPUS_PATH = '/api/clusters/gpus'
export const GPU_STATS_PATH = '/api/gpu-stats'
