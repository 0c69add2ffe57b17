/** Exit codes scripts can rely on. */
export const EXIT = {
  OK: 0,
  /** Runtime failure: a dependency is missing or broke (nvidia-smi, the database, the network). */
  FAILURE: 1,
  /** Bad usage or configuration: fix the flags or the environment file. */
  USAGE: 2,
  /** The server answered with a client error (4xx) — see the message. */
  REJECTED: 3,
  /** Authentication or authorization failed (401/403). */
  AUTH: 4,
} as const
