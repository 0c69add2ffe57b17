/** Exit codes scripts can rely on (README "CLI" lists them with examples). */
export const EXIT = {
  OK: 0,
  /** Runtime failure: a dependency is missing or broke (nvidia-smi, the database, the network), a 5xx or 429, a declined prompt. */
  FAILURE: 1,
  /** Bad usage or configuration: fix the flags, the environment or the config file. */
  USAGE: 2,
  /** The server answered with a client error (4xx other than 401/403) — see the message. */
  REJECTED: 3,
  /** Authentication or authorization failed (401/403). */
  AUTH: 4,
} as const
