import type { PlanTier, TenantRepository, TenantStatus, TenantWithUsage } from '../tenant-repository.ts'
import type { Row, SqlDb, SqlQuery } from '../sql-db.ts'
import { SCHEDULING_LOCK } from '../store-locks.ts'

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

export function createSqlTenantRepository (db: SqlDb): TenantRepository {
  const byId = async (q: SqlQuery, id: number): Promise<TenantWithUsage | null> => {
    const r = await q.one(`${WITH_USAGE} WHERE t.id = ?`, id)
    return r === undefined ? null : toTenant(r)
  }

  return {
    async create (input, at) {
      return db.tx(SCHEDULING_LOCK, async q => {
        const r = await q.one(`INSERT INTO tenants (name, plan_tier, gpu_quota, contact_email, status, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING id`,
        input.name, input.planTier ?? 'starter', input.gpuQuota, input.contactEmail ?? null, input.status ?? 'active', at, at)
        if (r === undefined) return null
        let id = Number(r.id)
        // SQLite hands out max(rowid) + 1, which is a deleted tenant's id when that was the
        // highest; a deleted tenant's usage is still billed by its id, so a new tenant never
        // takes one (a PostgreSQL identity never repeats, so this only moves SQLite's).
        if (await q.one('SELECT 1 FROM deleted_tenants WHERE id = ?', id) !== undefined) {
          const next = await q.one('SELECT MAX(id) + 1 AS id FROM (SELECT id FROM tenants UNION ALL SELECT id FROM deleted_tenants) ids')
          await q.run('UPDATE tenants SET id = ? WHERE id = ?', Number(next!.id), id)
          id = Number(next!.id)
        }
        return byId(q, id)
      })
    },

    async get (id) { return byId(db, id) },

    async list (filter = {}) {
      if (filter.id !== undefined) {
        const t = await byId(db, filter.id)
        return t === null ? [] : [t]
      }
      return (await db.all(`${WITH_USAGE} ORDER BY t.id`)).map(toTenant)
    },

    async update (id, patch, at) {
      return db.tx(SCHEDULING_LOCK, async q => {
        if (await q.one('SELECT id FROM tenants WHERE id = ?', id) === undefined) return { ok: false as const, reason: 'not_found' as const }
        if (patch.name !== undefined && await q.one('SELECT 1 FROM tenants WHERE name = ? AND id <> ?', patch.name, id) !== undefined) {
          return { ok: false as const, reason: 'name_taken' as const }
        }
        // contact_email distinguishes "absent" (keep) from null (clear), hence the flag.
        await q.run(`UPDATE tenants SET name = COALESCE(?, name), gpu_quota = COALESCE(CAST(? AS INTEGER), gpu_quota), plan_tier = COALESCE(?, plan_tier),
            status = COALESCE(?, status), contact_email = CASE WHEN CAST(? AS INTEGER) = 1 THEN ? ELSE contact_email END, updated_at = ? WHERE id = ?`,
        patch.name ?? null, patch.gpuQuota ?? null, patch.planTier ?? null, patch.status ?? null,
        patch.contactEmail === undefined ? 0 : 1, patch.contactEmail ?? null, at, id)
        return { ok: true as const, tenant: (await byId(q, id))! }
      })
    },

    async delete (id, at) {
      try {
        return await db.tx(SCHEDULING_LOCK, async q => {
          const tenant = await q.one('SELECT name FROM tenants WHERE id = ?', id)
          if (tenant === undefined) return { ok: false as const, reason: 'not_found' as const }
          const waiting = await q.all("SELECT id, status FROM jobs WHERE tenant_id = ? AND status IN ('queued', 'blocked') ORDER BY id", id)
          for (const w of waiting) {
            await q.run("UPDATE jobs SET status = 'cancelled', pending_reason = NULL, block_reason = NULL, ended_at = ? WHERE id = ?", at, Number(w.id))
            await q.run("INSERT INTO job_events (job_id, kind, at, detail) VALUES (?, 'ended', ?, ?)",
              Number(w.id), at, JSON.stringify({ status: 'cancelled', from: w.status, by: 'tenant_deleted', tenant_id: id }))
          }
          // Seed 003: jobs are unlinked, running ones included (they keep running, for no tenant).
          // deleted_tenant_id and the tombstone keep their GPU time up to now billable to it.
          await q.run('INSERT INTO deleted_tenants (id, name, deleted_at) VALUES (?, ?, ?)', id, String(tenant.name), at)
          const unlinked = await q.run('UPDATE jobs SET deleted_tenant_id = tenant_id, tenant_id = NULL WHERE tenant_id = ?', id)
          await q.run('DELETE FROM tenants WHERE id = ?', id)
          return { ok: true as const, unlinkedJobs: unlinked, cancelledJobs: waiting.length }
        })
      } catch (err) {
        // The transaction rolled back: the jobs are as they were.
        if (db.dialect.isForeignKeyViolation(err)) return { ok: false as const, reason: 'referenced' as const }
        throw err
      }
    },
  }
}
