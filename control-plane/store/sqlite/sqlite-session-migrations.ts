import type { Migration } from './apply-migrations.ts'

export const SESSION_MIGRATIONS: Migration[] = [{
  version: 1,
  name: 'console sessions',
  // No foreign key to api_keys: a session outliving its key is refused by the auth path
  // (it reads the key on every request), and deleteForKey cleans up on revoke.
  sql: `
    CREATE TABLE console_sessions (
      id_hash TEXT PRIMARY KEY CHECK (length(id_hash) = 64),
      key_id INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL
    );
    CREATE INDEX console_sessions_key ON console_sessions (key_id);
    CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);
  `,
}]
