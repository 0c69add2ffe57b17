import t from 'tap'
import { join } from 'node:path'
import { openSqliteDb } from '../../../control-plane/store/sqlite/sqlite-db.ts'
import { applyMigrations } from '../../../control-plane/store/sqlite/apply-migrations.ts'
import { ALERT_MIGRATIONS } from '../../../control-plane/store/sqlite/sqlite-alert-migrations.ts'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'

const T0 = Date.UTC(2026, 6, 14, 9, 0, 0)
const NEW_TYPE = `INSERT INTO alert_rules (id, rule_type, threshold, enabled, description, updated_at)
  VALUES (4, 'xid_storm', 3, 1, 'a type registered after the seed', ${T0})`

t.test('alerts version 1 → 2: no CHECK on rule_type; rules, events and deliveries survive the rebuild with their ids', async t => {
  const path = join(t.testdir(), 'gpufleet.db')
  const old = openSqliteDb(path)
  applyMigrations(old, 'alerts', ALERT_MIGRATIONS.filter(m => m.version === 1))
  t.throws(() => old.raw.exec(NEW_TYPE), /CHECK/, 'version 1 refuses a type it does not list')
  old.raw.exec(`UPDATE alert_rules SET threshold = 75, webhook_url = 'https://hooks.example.com/q', updated_at = ${T0} WHERE id = 2;
    UPDATE alert_rules SET enabled = 0 WHERE id = 3;
    INSERT INTO alert_events (id, rule_id, subject_type, subject_id, subject_name, tenant_id, message, fired_at, resolved_at)
      VALUES (11, 2, 'tenant', 5, 'acme', 5, 'acme over quota', ${T0}, NULL),
             (12, 1, 'gpu', 7, 'gpu-01/0', 5, 'idle', ${T0}, ${T0 + 60_000});
    INSERT INTO alert_deliveries (id, event_id, kind, url, status, attempts, next_attempt_at, created_at)
      VALUES (21, 11, 'fired', 'https://hooks.example.com/q', 'pending', 0, ${T0}, ${T0});`)
  old.close()

  const store = await openSqliteStore(path, { checkpoint: 'inline' })
  t.teardown(() => store.close())
  t.same((await store.alerts.listRules()).map(r => [r.id, r.ruleType, r.threshold, r.enabled, r.webhookUrl, r.activeEvents]), [
    [1, 'idle_gpu', 60, true, null, 0],
    [2, 'quota_breach', 75, true, 'https://hooks.example.com/q', 1],
    [3, 'health_degraded', 85, false, null, 0],
  ])
  t.same((await store.alerts.listEvents({ limit: 10 })).map(e => [e.id, e.ruleId, e.ruleType, e.resolvedAt]),
    [[11, 2, 'quota_breach', null], [12, 1, 'idle_gpu', T0 + 60_000]])
  t.same((await store.alerts.listDeliveries()).map(d => [d.id, d.eventId, d.status]), [[21, 11, 'pending']])

  const check = openSqliteDb(path)
  t.teardown(() => check.close())
  t.same(check.raw.prepare('PRAGMA foreign_key_check').all(), [], 'events still reference their rules')
  const ref = check.raw.prepare("SELECT sql FROM sqlite_master WHERE name = 'alert_events'").get() as { sql: string }
  t.match(ref.sql, /REFERENCES alert_rules\(id\)/, 'alert_events references alert_rules, not a renamed copy')
  t.doesNotThrow(() => check.raw.exec(NEW_TYPE), 'a new type name is stored')
  t.equal((await store.alerts.getRule(4))?.ruleType, 'xid_storm')
  t.throws(() => check.raw.exec(`INSERT INTO alert_rules (id, rule_type, threshold, description, updated_at) VALUES (5, 'idle_gpu', 1, 'x', 0)`),
    /UNIQUE/, 'one row per type still')
  t.throws(() => check.raw.exec('UPDATE alert_rules SET enabled = 2 WHERE id = 1'), /CHECK/, 'enabled stays 0/1')
})
