import type { TenantRepository, TenantWithUsage } from '../tenant-repository.ts'
import { toTenant, WITH_USAGE } from '../sqlite/sqlite-tenant-repository.ts'
import type { PgDb, PgQuery } from './pg-db.ts'
import { applyPgMigrations } from './apply-pg-migrations.ts'
import { PG_TENANT_MIGRATIONS } from './pg-scheduling-migrations.ts'
import { SCHEDULING_LOCK } from './pg-locks.ts'

// SQLSTATE 23503: a row of another domain (an invoice) still references the tenant.
const isForeignKeyFailure = (err: unknown): boolean => (err as { code?: unknown }).code === '23503'

export async function createPgTenantRepository (db: PgDb): Promise<TenantRepository> {
  await applyPgMigrations(db, 'tenants', PG_TENANT_MIGRATIONS)

  const byId = async (q: PgQuery, id: number): Promise<TenantWithUsage | null> => {
    const r = await q.one(`${WITH_USAGE} WHERE t.id = ?`, id)
    return r === undefined ? null : toTenant(r)
  }

  return {
    async create (input, at) {
      const r = await db.one(`INSERT INTO tenants (name, plan_tier, gpu_quota, contact_email, status, created_at, updated_at)
          VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING id`,
      input.name, input.planTier ?? 'starter', input.gpuQuota, input.contactEmail ?? null, input.status ?? 'active', at, at)
      return r === undefined ? null : byId(db, Number(r.id))
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
        await q.run(`UPDATE tenants SET name = COALESCE(?, name), gpu_quota = COALESCE(?::int, gpu_quota), plan_tier = COALESCE(?, plan_tier),
            status = COALESCE(?, status), contact_email = CASE WHEN ?::boolean THEN ? ELSE contact_email END, updated_at = ? WHERE id = ?`,
        patch.name ?? null, patch.gpuQuota ?? null, patch.planTier ?? null, patch.status ?? null,
        patch.contactEmail !== undefined, patch.contactEmail ?? null, at, id)
        return { ok: true as const, tenant: (await byId(q, id))! }
      })
    },

    async delete (id, at) {
      try {
        return await db.tx(SCHEDULING_LOCK, async q => {
          if (await q.one('SELECT 1 FROM tenants WHERE id = ?', id) === undefined) return { ok: false as const, reason: 'not_found' as const }
          const running = (await q.all("SELECT id FROM jobs WHERE tenant_id = ? AND status = 'running' ORDER BY id", id)).map(r => Number(r.id))
          if (running.length > 0) return { ok: false as const, reason: 'running_jobs' as const, jobIds: running }
          const waiting = await q.all("SELECT id, status FROM jobs WHERE tenant_id = ? AND status IN ('queued', 'blocked') ORDER BY id", id)
          for (const w of waiting) {
            await q.run("UPDATE jobs SET status = 'cancelled', pending_reason = NULL, block_reason = NULL, ended_at = ? WHERE id = ?", at, Number(w.id))
            await q.run("INSERT INTO job_events (job_id, kind, at, detail) VALUES (?, 'ended', ?, ?)",
              Number(w.id), at, JSON.stringify({ status: 'cancelled', from: w.status, by: 'tenant_deleted', tenant_id: id }))
          }
          const unlinked = await q.run('UPDATE jobs SET tenant_id = NULL WHERE tenant_id = ?', id)
          await q.run('DELETE FROM tenants WHERE id = ?', id)
          return { ok: true as const, unlinkedJobs: unlinked, cancelledJobs: waiting.length }
        })
      } catch (err) {
        // The transaction rolled back: the jobs are as they were.
        if (isForeignKeyFailure(err)) return { ok: false as const, reason: 'referenced' as const }
        throw err
      }
    },
  }
}
