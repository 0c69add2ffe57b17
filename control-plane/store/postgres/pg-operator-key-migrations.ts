import type { PgMigration } from './apply-pg-migrations.ts'

export const PG_OPERATOR_KEY_MIGRATIONS: readonly PgMigration[] = [{
  version: 1,
  name: 'operator_signing_keys',
  // As in SQLite: `active` is TRUE for the one signing key, NULL for retired ones.
  sql: `
    CREATE TABLE operator_signing_keys (
      kid TEXT PRIMARY KEY,
      alg TEXT NOT NULL CHECK (alg = 'EdDSA'),
      public_jwk JSONB NOT NULL,
      private_jwk JSONB NOT NULL,
      active BOOLEAN UNIQUE CHECK (active),
      created_at BIGINT NOT NULL,
      retired_at BIGINT
    );
  `,
}]
