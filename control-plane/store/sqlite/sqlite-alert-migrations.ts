import type { Migration } from './apply-migrations.ts'

/**
 * Alerts (domain 'alerts'): the three built-in rules of seed 003 (ids 1–3 in the seed's
 * order), their events and the webhook deliveries queued for the events. Deliveries are
 * durable so a restart resumes the pending ones.
 */
export const ALERT_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'alert rules (seeded), events, webhook deliveries',
    sql: `
      CREATE TABLE alert_rules (
        id INTEGER PRIMARY KEY,
        rule_type TEXT NOT NULL UNIQUE CHECK (rule_type IN ('idle_gpu', 'quota_breach', 'health_degraded')),
        threshold REAL NOT NULL,
        enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
        webhook_url TEXT,
        description TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );
      INSERT INTO alert_rules (id, rule_type, threshold, enabled, description, updated_at) VALUES
        (1, 'idle_gpu', 60, 1, 'A GPU held by a running job stays below 10% utilization (every minute''s mean) for threshold minutes', 0),
        (2, 'quota_breach', 90, 1, 'A tenant has threshold percent or more of its GPU quota in use', 0),
        (3, 'health_degraded', 85, 1, 'A node is offline, or a GPU on an online node is at threshold degrees C or hotter or reports uncorrectable ECC errors', 0);

      CREATE TABLE alert_events (
        id INTEGER PRIMARY KEY,
        rule_id INTEGER NOT NULL REFERENCES alert_rules(id),
        subject_type TEXT NOT NULL CHECK (subject_type IN ('gpu', 'node', 'tenant')),
        subject_id INTEGER NOT NULL,
        subject_name TEXT,
        tenant_id INTEGER,
        message TEXT NOT NULL,
        fired_at INTEGER NOT NULL,
        resolved_at INTEGER
      );
      -- Fires once: at most one open event per rule and subject, enforced by the database.
      CREATE UNIQUE INDEX alert_events_one_open ON alert_events (rule_id, subject_type, subject_id) WHERE resolved_at IS NULL;
      CREATE INDEX alert_events_fired ON alert_events (fired_at, id);
      CREATE INDEX alert_events_tenant ON alert_events (tenant_id, fired_at);

      CREATE TABLE alert_deliveries (
        id INTEGER PRIMARY KEY,
        event_id INTEGER NOT NULL REFERENCES alert_events(id),
        kind TEXT NOT NULL CHECK (kind IN ('fired', 'resolved')),
        url TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        delivered_at INTEGER
      );
      CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_at, id) WHERE status = 'pending';
      CREATE INDEX alert_deliveries_event ON alert_deliveries (event_id);
    `,
  },
  {
    version: 2,
    name: 'alert_rules: rule types checked by the registry, not a CHECK',
    rebuildsTable: true,
    // Which rule types exist is control-plane/alerts/rules/alert-rules.ts's list; a CHECK
    // repeating it would cost a table rebuild per new type. Rows and ids are copied as they are,
    // so alert_events.rule_id still resolves.
    sql: `
      CREATE TABLE alert_rules_v2 (
        id INTEGER PRIMARY KEY,
        rule_type TEXT NOT NULL UNIQUE,
        threshold REAL NOT NULL,
        enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
        webhook_url TEXT,
        description TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );
      INSERT INTO alert_rules_v2 (id, rule_type, threshold, enabled, webhook_url, description, updated_at)
        SELECT id, rule_type, threshold, enabled, webhook_url, description, updated_at FROM alert_rules;
      DROP TABLE alert_rules;
      ALTER TABLE alert_rules_v2 RENAME TO alert_rules;
    `,
  },
  {
    version: 3,
    name: 'alert_events: silenced_until (no webhook for the subject until then)',
    sql: 'ALTER TABLE alert_events ADD COLUMN silenced_until INTEGER;',
  },
  {
    version: 4,
    name: 'alert webhooks: a format per rule (gpufleet, alertmanager, alertmanager-api), kept on each delivery as its URL is',
    // The formats are control-plane/store/webhook-format.ts's list, checked by the alerts router (as rule types are).
    sql: `
      ALTER TABLE alert_rules ADD COLUMN webhook_format TEXT NOT NULL DEFAULT 'gpufleet';
      ALTER TABLE alert_deliveries ADD COLUMN format TEXT NOT NULL DEFAULT 'gpufleet';
    `,
  },
]
