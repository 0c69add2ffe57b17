import type { FleetOp } from '../fleet-action.ts'
import { positiveInt, usageError } from './cli-error.ts'
import { formatTable } from './print-table.ts'

const SCOPES = ['read', 'write', 'admin', 'superadmin', 'ingest']

export const createKey: FleetOp = async (ctx, _args, opts) => {
  const permissions = typeof opts.permissions === 'string' ? opts.permissions.split(',').map(s => s.trim()).filter(s => s !== '') : undefined
  const bad = permissions?.filter(p => !SCOPES.includes(p)) ?? []
  if (bad.length > 0) throw usageError(`--permissions: unknown scope(s) ${bad.join(', ')} (one or more of ${SCOPES.join(', ')})`)
  const created = await ctx.controlPlane().createApiKey({
    label: String(opts.label),
    ...(permissions === undefined ? {} : { permissions: permissions as Array<'read'> }),
    ...(opts.tenant === undefined ? {} : { tenantId: positiveInt(String(opts.tenant), '--tenant') }),
    ...(opts.cluster === undefined ? {} : { clusterId: positiveInt(String(opts.cluster), '--cluster') }),
  })
  ctx.print(created, () => `${created.key}\n`)
  const binding = created.clusterId === null ? (created.permissions.includes('ingest') ? ', unbound: acts for any cluster' : '') : `, bound to cluster ${created.clusterId}`
  if (!ctx.json) process.stderr.write(`key ${created.id} (${created.label}, ${created.permissions.join(',')}${binding}) created; it is shown only once — store it now\n`)
}

export const listKeys: FleetOp = async ctx => {
  const keys = await ctx.controlPlane().listApiKeys()
  ctx.print(keys, () => formatTable(keys, [
    ['ID', k => k.id], ['PREFIX', k => k.keyPrefix], ['LABEL', k => k.label], ['PERMISSIONS', k => k.permissions],
    // An agent key's reach: its cluster, or "unbound" (acts for any cluster; made deliberately by an admin).
    ['TENANT', k => k.tenantId], ['CLUSTER', k => k.clusterId ?? (k.permissions.includes('ingest') ? 'unbound' : null)], ['CREATED', k => k.createdAt], ['LAST USED', k => k.lastUsedAt], ['REVOKED', k => k.revokedAt],
  ]))
}

export const revokeKey: FleetOp = async (ctx, [id]) => {
  const key = await ctx.controlPlane().revokeApiKey(positiveInt(id, 'key id') ?? 0)
  ctx.print(key, () => `revoked key ${key.id} (${key.keyPrefix}…, ${key.label})\n`)
}
