import { hostname } from 'node:os'
import t from 'tap'
import { readHostFacts } from '../../../agent/uplink/read-host-facts.ts'

t.test('reads this host through systeminformation; a missing fact is null, not a guess', async t => {
  const facts = await readHostFacts()
  t.equal(facts.hostname, hostname())
  t.ok(facts.ipAddress === null || /^\d+\.\d+\.\d+\.\d+$/.test(facts.ipAddress), `ip ${facts.ipAddress}`)
  t.ok(facts.cpuCores === null || (Number.isInteger(facts.cpuCores) && facts.cpuCores > 0))
  t.ok(facts.ramGb === null || (Number.isInteger(facts.ramGb) && facts.ramGb >= 0))
})
