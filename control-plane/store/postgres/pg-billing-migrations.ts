import type { PgMigration } from './apply-pg-migrations.ts'

export const PG_BILLING_MIGRATIONS_V2: PgMigration = {
  version: 2,
  name: 'invoice tenant snapshot, exact GPU-ms, payment link claims',
  sql: `
    ALTER TABLE invoices ADD COLUMN tenant_name TEXT;
    ALTER TABLE invoices ADD COLUMN total_gpu_ms BIGINT;
    ALTER TABLE invoices ADD COLUMN unpriced_gpu_ms BIGINT NOT NULL DEFAULT 0;
    ALTER TABLE invoices ADD COLUMN payment_link_attempts INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE invoices ADD COLUMN payment_link_claimed_at BIGINT;
    ALTER TABLE invoices ADD COLUMN payment_link_error TEXT;
    CREATE INDEX invoices_period ON invoices (tenant_id, period_start, period_end);
    CREATE INDEX invoices_created ON invoices (created_at);
  `,
}

export const PG_BILLING_MIGRATIONS_V3: PgMigration = {
  version: 3,
  name: 'usage and invoices stay attributable to a deleted tenant',
  sql: `
    CREATE TABLE deleted_tenants (
      id BIGINT PRIMARY KEY,
      name TEXT NOT NULL,
      deleted_at BIGINT NOT NULL
    );
    ALTER TABLE jobs ADD COLUMN deleted_tenant_id BIGINT;
    CREATE INDEX jobs_deleted_tenant ON jobs (deleted_tenant_id) WHERE deleted_tenant_id IS NOT NULL;
    ALTER TABLE invoices ADD COLUMN billed_tenant_id BIGINT;
    UPDATE invoices SET billed_tenant_id = tenant_id;
    CREATE INDEX invoices_billed_period ON invoices (billed_tenant_id, period_start, period_end);
  `,
}
