import t from 'tap'
import { prometheusFitSuite } from './prometheus-fit-suite.ts'

prometheusFitSuite(t, async () => undefined)
