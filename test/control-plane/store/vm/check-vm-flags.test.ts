import t from 'tap'
import { vmFlagProblems } from '../../../../control-plane/store/vm/check-vm-flags.ts'
import { openStore } from '../../../../control-plane/store/open-store.ts'
import { startVictoriaMetrics, victoriaMetricsBinary, VM_MISSING } from '../../../setup/victoria-metrics.ts'

t.test('vmFlagProblems reads /flags lines', async t => {
  t.same(vmFlagProblems('-dedup.minScrapeInterval="1ms"\n-retentionPeriod="90d"\n-httpListenAddr=":8428"\n'), [])
  t.same(vmFlagProblems('-dedup.minScrapeInterval="1ms"\n'), [], 'a vmselect: no retention flag to judge')
  t.match(vmFlagProblems('-retentionPeriod="1"\n'), [/dedup.minScrapeInterval is off, not 1ms: replayed rows would count twice/])
  t.match(vmFlagProblems('-dedup.minScrapeInterval="1s"\n'), [/is 1s, not 1ms/])
  t.match(vmFlagProblems('-dedup.minScrapeInterval="1ms"\n-retentionPeriod="7d"\n'), [/-retentionPeriod is 7d: .*31d or more/])
  t.same(vmFlagProblems('-dedup.minScrapeInterval="1ms"\n-retentionPeriod="2"\n'), [], 'a bare number is months')
  t.match(vmFlagProblems('-dedup.minScrapeInterval="1ms"\n-retentionPeriod="2w"\n'), [/2w/])
})

t.test('openStore with --telemetry vm=… warns once about a VictoriaMetrics without deduplication', { skip: victoriaMetricsBinary() === null ? VM_MISSING : false }, async t => {
  const vm = await startVictoriaMetrics({ dedup: false })
  t.teardown(() => vm.close())
  const warnings: string[] = []
  const store = await openStore(':memory:', { log: { warn: (_obj, msg) => { warnings.push(msg) } } }, { kind: 'vm', insertUrl: vm.url, selectUrl: vm.url })
  t.teardown(() => store.close())
  for (let i = 0; i < 600 && warnings.length === 0; i++) await new Promise(resolve => setTimeout(resolve, 100))
  t.match(warnings, [/^VictoriaMetrics: -dedup.minScrapeInterval is off, not 1ms/])
})

t.test('and says so when /flags cannot be read', async t => {
  const warnings: string[] = []
  const store = await openStore(':memory:', { log: { warn: (_obj, msg) => { warnings.push(msg) } } }, { kind: 'vm', insertUrl: 'http://127.0.0.1:9', selectUrl: 'http://127.0.0.1:9' })
  t.teardown(() => store.close())
  for (let i = 0; i < 600 && warnings.length === 0; i++) await new Promise(resolve => setTimeout(resolve, 100))
  t.match(warnings, [/its \/flags could not be read/])
})
