import type { PgMigration } from './apply-pg-migrations.ts'

export const PG_SESSION_MIGRATIONS: PgMigration[] = [{
  version: 1,
  name: 'console sessions',
  // As on SQLite: no foreign key to api_keys; the auth path reads the key on every request
  // and deleteForKey cleans up on revoke.
  sql: `
    CREATE TABLE console_sessions (
      id_hash TEXT PRIMARY KEY CHECK (length(id_hash) = 64),
      key_id BIGINT NOT NULL,
      created_at BIGINT NOT NULL,
      expires_at BIGINT NOT NULL
    );
    CREATE INDEX console_sessions_key ON console_sessions (key_id);
    CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);
  `,
}]
