import t from 'tap'
import { agentJobsSuite } from './agent-jobs-suite.ts'

t.test('sqlite (in memory)', async t => {
  agentJobsSuite(t)
})
