import { z } from '@hono/zod-openapi'
import { PLAN_TIERS, TENANT_STATUSES } from './enums.ts'

/** Seed 003 "Tenant Management" on the wire (snake_case; times ISO 8601). */

const Name = z.string().min(1).max(128).refine(s => s.trim() !== '', 'must not be blank')
// A quota above any real fleet is a typo, not a plan.
const Quota = z.number().int().min(1).max(1_000_000)
const Email = z.email().max(254)

export const createTenantBodySchema = z.object({
  name: Name.openapi({ description: 'Tenant display name (unique)', example: 'Acme ML' }),
  gpu_quota: Quota.openapi({ description: 'Max GPUs this tenant can run simultaneously (min 1)', example: 16 }),
  contact_email: Email.nullable().optional().openapi({ description: 'Billing contact email', example: 'billing@acme.ai' }),
  plan_tier: z.enum(PLAN_TIERS).optional().openapi({ description: 'Plan label (default starter)', example: 'enterprise' }),
  status: z.enum(TENANT_STATUSES).optional().openapi({ description: 'active or inactive (default active); an inactive tenant\'s jobs wait (TENANT_INACTIVE)' }),
}).strict().openapi('CreateTenantRequest')

export const updateTenantBodySchema = z.object({
  name: Name.optional(),
  gpu_quota: Quota.optional().openapi({ description: 'Lowering it below what the tenant runs preempts nothing: new jobs wait (QUOTA) until usage drops.' }),
  contact_email: Email.nullable().optional().openapi({ description: 'null clears it' }),
  plan_tier: z.enum(PLAN_TIERS).optional(),
  status: z.enum(TENANT_STATUSES).optional(),
}).strict()
  .refine(b => Object.keys(b).length > 0, 'send at least one field to update')
  .openapi('UpdateTenantRequest')

export const tenantSchema = z.object({
  id: z.number().int().openapi({ example: 1 }),
  name: z.string().openapi({ example: 'NovAI Labs' }),
  plan_tier: z.enum(PLAN_TIERS),
  gpu_quota: z.number().int().openapi({ example: 10 }),
  gpus_in_use: z.number().int().openapi({ example: 8, description: 'GPUs held by the tenant\'s running jobs now' }),
  running_jobs: z.number().int().openapi({ example: 2 }),
  queued_jobs: z.number().int().openapi({ example: 1, description: 'Jobs waiting to start, status queued or blocked' }),
  status: z.enum(TENANT_STATUSES),
  blocked_jobs: z.number().int().openapi({ description: 'Of queued_jobs, those in status blocked' }),
  contact_email: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
}).openapi('Tenant')

export const tenantDeletedSchema = z.object({
  id: z.number().int(),
  deleted: z.literal(true),
  jobs_unlinked: z.number().int().openapi({ description: 'Jobs whose tenant_id is now null' }),
  jobs_cancelled: z.number().int().openapi({ description: 'Of those, waiting jobs cancelled (nobody left to bill)' }),
}).openapi('TenantDeleted')
