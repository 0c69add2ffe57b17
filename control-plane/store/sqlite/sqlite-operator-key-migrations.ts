import type { Migration } from './apply-migrations.ts'

export const OPERATOR_KEY_MIGRATIONS: readonly Migration[] = [{
  version: 1,
  name: 'operator_signing_keys',
  // `active` is 1 for the one signing key and NULL for retired ones: UNIQUE allows many NULLs
  // and one 1, so two replicas cannot both install a first key.
  sql: `
    CREATE TABLE operator_signing_keys (
      kid TEXT PRIMARY KEY,
      alg TEXT NOT NULL CHECK (alg = 'EdDSA'),
      public_jwk TEXT NOT NULL CHECK (json_valid(public_jwk)),
      private_jwk TEXT NOT NULL CHECK (json_valid(private_jwk)),
      active INTEGER UNIQUE CHECK (active = 1),
      created_at INTEGER NOT NULL,
      retired_at INTEGER
    );
  `,
}]
