import t from 'tap'
import { postgresTestDatabase } from '../../helpers/postgres-test-database.ts'
import { openPgDb } from '../../../control-plane/store/postgres/pg-db.ts'
import { applyPgMigrations } from '../../../control-plane/store/postgres/apply-pg-migrations.ts'
import { PG_ALERT_MIGRATIONS } from '../../../control-plane/store/postgres/pg-alert-migrations.ts'
import { openPostgresStore } from '../../../control-plane/store/postgres/open-postgres-store.ts'
import { alertsSuite } from './alerts-suite.ts'

t.test('postgres', async t => {
  const pg = await postgresTestDatabase(t)
  alertsSuite(t, pg.openStore)

  t.test('alerts version 1 → 2: no CHECK on rule_type; rules and events survive', async t => {
    const schema = pg.freshSchema()
    const NEW_TYPE = "INSERT INTO alert_rules (id, rule_type, threshold, enabled, description, updated_at) VALUES (4, 'xid_storm', 3, 1, 'x', 0)"
    const old = openPgDb({ connectionString: pg.url, schema })
    await old.exec(`CREATE SCHEMA ${schema}`)
    await applyPgMigrations(old, 'alerts', PG_ALERT_MIGRATIONS.filter(m => m.version === 1))
    await t.rejects(old.exec(NEW_TYPE), { code: '23514' }, 'version 1 refuses a type it does not list')
    await old.exec(`UPDATE alert_rules SET threshold = 75 WHERE id = 2;
      INSERT INTO alert_events (id, rule_id, subject_type, subject_id, subject_name, tenant_id, message, fired_at)
        VALUES (11, 2, 'tenant', 5, 'acme', 5, 'acme over quota', 1)`)
    await old.close()

    const store = await openPostgresStore(pg.url, { schema })
    t.teardown(() => store.close())
    t.same((await store.alerts.listRules()).map(r => [r.id, r.ruleType, r.threshold, r.activeEvents]),
      [[1, 'idle_gpu', 60, 0], [2, 'quota_breach', 75, 1], [3, 'health_degraded', 85, 0]])
    const db = openPgDb({ connectionString: pg.url, schema, max: 1 })
    t.teardown(() => db.close())
    await db.exec(NEW_TYPE)
    t.equal((await store.alerts.getRule(4))?.ruleType, 'xid_storm', 'a new type name is stored')
  })
})
