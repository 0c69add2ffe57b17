import type { Migration } from './apply-migrations.ts'

export const BILLING_MIGRATIONS_V2: Migration = {
  version: 2,
  name: 'invoice tenant snapshot, exact GPU-ms, payment link claims',
  sql: `
    -- The tenant's name when invoiced: the invoice still says whom it billed after a delete.
    ALTER TABLE invoices ADD COLUMN tenant_name TEXT;
    -- Metering is in milliseconds; total_gpu_seconds stays as the rounded figure.
    ALTER TABLE invoices ADD COLUMN total_gpu_ms INTEGER;
    -- GPU time on models no rate matched: reported, never priced at 0 silently.
    ALTER TABLE invoices ADD COLUMN unpriced_gpu_ms INTEGER NOT NULL DEFAULT 0;
    -- One caller at a time creates a payment link (a claim older than the TTL is stale).
    ALTER TABLE invoices ADD COLUMN payment_link_attempts INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE invoices ADD COLUMN payment_link_claimed_at INTEGER;
    ALTER TABLE invoices ADD COLUMN payment_link_error TEXT;
    CREATE INDEX invoices_period ON invoices (tenant_id, period_start, period_end);
    CREATE INDEX invoices_created ON invoices (created_at);
  `,
}

export const BILLING_MIGRATIONS_V3: Migration = {
  version: 3,
  name: 'usage and invoices stay attributable to a deleted tenant',
  sql: `
    -- A deleted tenant's id and name: its unbilled usage can still be invoiced (issue 14).
    -- Its id is never handed to a new tenant (sql-tenant-repository.ts create).
    CREATE TABLE deleted_tenants (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      deleted_at INTEGER NOT NULL
    );
    -- Seed 003's delete sets jobs.tenant_id to null; this keeps whom the job's GPU time up to
    -- the delete belongs to.
    ALTER TABLE jobs ADD COLUMN deleted_tenant_id INTEGER;
    CREATE INDEX jobs_deleted_tenant ON jobs (deleted_tenant_id) WHERE deleted_tenant_id IS NOT NULL;
    -- Whom an invoice bills; unlike tenant_id (a foreign key, nulled at the delete) it stays.
    ALTER TABLE invoices ADD COLUMN billed_tenant_id INTEGER;
    UPDATE invoices SET billed_tenant_id = tenant_id;
    CREATE INDEX invoices_billed_period ON invoices (billed_tenant_id, period_start, period_end);
  `,
}
