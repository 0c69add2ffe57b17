import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ALERT_RULES } from '../../../control-plane/alerts/rules/alert-rules.ts'
import { alertName } from '../../../control-plane/alerts/alertmanager-payloads.ts'

t.test('docs/api.md lists the alertname of every registered rule, and no other', async t => {
  const doc = readFileSync(join(import.meta.dirname, '../../../docs/api.md'), 'utf8')
  // "labels `alertname` (`GpufleetIdleGpu`, …)": the list may wrap across lines.
  const list = /labels `alertname` \(([^)]*)\)/.exec(doc)?.[1]
  t.ok(list !== undefined, 'the Alertmanager section names the alertnames')
  const documented = [...(list ?? '').matchAll(/`([A-Za-z]+)`/g)].map(m => m[1])
  t.same(documented, ALERT_RULES.map(r => alertName(r.type)), 'in the registry\'s order')
})
