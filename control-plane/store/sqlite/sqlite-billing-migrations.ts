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
