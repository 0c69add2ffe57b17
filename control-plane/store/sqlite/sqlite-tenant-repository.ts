import type { SQLInputValue } from 'node:sqlite'
import type { PlanTier, TenantRepository, TenantStatus, TenantWithUsage } from '../tenant-repository.ts'
import type { SqliteDb } from './sqlite-db.ts'
import { applyMigrations } from './apply-migrations.ts'
import { TENANT_MIGRATIONS } from './sqlite-scheduling-migrations.ts'

type Row = Record<string, unknown>

// Live usage beside each tenant; the subqueries ride jobs_tenant (tenant_id, status).
export const WITH_USAGE = `SELECT t.*,
    (SELECT COUNT(*) FROM jobs j JOIN job_gpus jg ON jg.job_id = j.id AND jg.released_at IS NULL
      WHERE j.tenant_id = t.id AND j.status = 'running') AS gpus_in_use,
    (SELECT COUNT(*) FROM jobs j WHERE j.tenant_id = t.id AND j.status = 'running') AS running_jobs,
    (SELECT COUNT(*) FROM jobs j WHERE j.tenant_id = t.id AND j.status IN ('queued', 'blocked')) AS queued_jobs,
    (SELECT COUNT(*) FROM jobs j WHERE j.tenant_id = t.id AND j.status = 'blocked') AS blocked_jobs
  FROM tenants t`

export function toTenant (r: Row): TenantWithUsage {
  return {
    id: Number(r.id),
    name: String(r.name),
    planTier: r.plan_tier as PlanTier,
    gpuQuota: Number(r.gpu_quota),
    contactEmail: r.contact_email === null ? null : String(r.contact_email),
    status: r.status as TenantStatus,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    gpusInUse: Number(r.gpus_in_use ?? 0),
    runningJobs: Number(r.running_jobs ?? 0),
    queuedJobs: Number(r.queued_jobs ?? 0),
    blockedJobs: Number(r.blocked_jobs ?? 0),
  }
}

const isForeignKeyFailure = (err: unknown): boolean => err instanceof Error && /FOREIGN KEY constraint failed/i.test(err.message)

export function createSqliteTenantRepository (db: SqliteDb): TenantRepository {
  applyMigrations(db, 'tenants', TENANT_MIGRATIONS)

  const one = (sql: string, ...args: SQLInputValue[]): Row | undefined => db.stmt(sql).get(...args) as Row | undefined
  const byId = (id: number): TenantWithUsage | null => {
    const r = one(`${WITH_USAGE} WHERE t.id = ?`, id)
    return r === undefined ? null : toTenant(r)
  }

  return {
    async create (input, at) {
      const r = one(`INSERT INTO tenants (name, plan_tier, gpu_quota, contact_email, status, created_at, updated_at)
          VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING id`,
      input.name, input.planTier ?? 'starter', input.gpuQuota, input.contactEmail ?? null, input.status ?? 'active', at, at)
      return r === undefined ? null : byId(Number(r.id))
    },

    async get (id) { return byId(id) },

    async list (filter = {}) {
      if (filter.id !== undefined) {
        const t = byId(filter.id)
        return t === null ? [] : [t]
      }
      return (db.stmt(`${WITH_USAGE} ORDER BY t.id`).all() as Row[]).map(toTenant)
    },

    async update (id, patch, at) {
      return db.tx(() => {
        const current = one('SELECT id FROM tenants WHERE id = ?', id)
        if (current === undefined) return { ok: false as const, reason: 'not_found' as const }
        if (patch.name !== undefined && one('SELECT 1 FROM tenants WHERE name = ? AND id <> ?', patch.name, id) !== undefined) {
          return { ok: false as const, reason: 'name_taken' as const }
        }
        // contact_email distinguishes "absent" (keep) from null (clear), hence the flag.
        db.stmt(`UPDATE tenants SET name = COALESCE(?, name), gpu_quota = COALESCE(?, gpu_quota), plan_tier = COALESCE(?, plan_tier),
            status = COALESCE(?, status), contact_email = CASE WHEN ? THEN ? ELSE contact_email END, updated_at = ? WHERE id = ?`)
          .run(patch.name ?? null, patch.gpuQuota ?? null, patch.planTier ?? null, patch.status ?? null,
            patch.contactEmail === undefined ? 0 : 1, patch.contactEmail ?? null, at, id)
        return { ok: true as const, tenant: byId(id) as TenantWithUsage }
      })
    },

    async delete (id, at) {
      try {
        return db.tx(() => {
          if (one('SELECT 1 FROM tenants WHERE id = ?', id) === undefined) return { ok: false as const, reason: 'not_found' as const }
          const running = (db.stmt("SELECT id FROM jobs WHERE tenant_id = ? AND status = 'running' ORDER BY id").all(id) as Row[]).map(r => Number(r.id))
          if (running.length > 0) return { ok: false as const, reason: 'running_jobs' as const, jobIds: running }
          const waiting = (db.stmt("SELECT id, status FROM jobs WHERE tenant_id = ? AND status IN ('queued', 'blocked') ORDER BY id").all(id) as Row[])
          for (const w of waiting) {
            db.stmt("UPDATE jobs SET status = 'cancelled', pending_reason = NULL, block_reason = NULL, ended_at = ? WHERE id = ?").run(at, Number(w.id))
            db.stmt("INSERT INTO job_events (job_id, kind, at, detail) VALUES (?, 'ended', ?, ?)")
              .run(Number(w.id), at, JSON.stringify({ status: 'cancelled', from: w.status, by: 'tenant_deleted', tenant_id: id }))
          }
          const unlinked = db.stmt('UPDATE jobs SET tenant_id = NULL WHERE tenant_id = ?').run(id)
          db.stmt('DELETE FROM tenants WHERE id = ?').run(id)
          return { ok: true as const, unlinkedJobs: Number(unlinked.changes), cancelledJobs: waiting.length }
        })
      } catch (err) {
        // tx() rolled back: the jobs are as they were.
        if (isForeignKeyFailure(err)) return { ok: false as const, reason: 'referenced' as const }
        throw err
      }
    },
  }
}
