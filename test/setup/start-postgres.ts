// tap `before` script: one PostgreSQL cluster for the whole run (see postgres-server.ts).
import { ensureTestPostgres } from './postgres-server.ts'

const pg = await ensureTestPostgres()
console.log(`# test PostgreSQL on 127.0.0.1:${pg.port}`)
