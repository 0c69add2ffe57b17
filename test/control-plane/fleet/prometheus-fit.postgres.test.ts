import t from 'tap'
import { postgresTestDatabase } from '../../helpers/postgres-test-database.ts'
import { prometheusFitSuite } from './prometheus-fit-suite.ts'

// Each subtest gets its own schema; the helper closes every store it opened at the end.
const pg = await postgresTestDatabase(t)
prometheusFitSuite(t, () => pg.openStore())
