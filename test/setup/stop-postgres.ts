// tap `after` script: stops the run's PostgreSQL cluster and removes its data.
import { stopTestPostgres } from './postgres-server.ts'

await stopTestPostgres()
