/** Scope kinds as stored in the rollup tables (small integers keep the keys short), for both engines. */
export const SCOPE_FLEET = 0
export const SCOPE_CLUSTER = 1
export const SCOPE_NODE = 2
export const SCOPE_KIND_NAMES = ['fleet', 'cluster', 'node'] as const
