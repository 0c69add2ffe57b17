/**
 * The control plane's defaults, apart from its zod schema (control-plane/config.ts): the CLI
 * shows them in `--help` and must not load zod for that, since `gpufleet agent` builds the
 * same command tree (the agent's memory budget).
 */
export const CONTROL_PLANE_DEFAULTS = {
  listen: '127.0.0.1:8080',
  db: './data/gpufleet.db',
  demo: false,
  logLevel: 'info',
  bodyLimitBytes: 1024 * 1024,
  /** Failed key checks one client address may make back to back (refilled per minute). */
  authFailuresPerMinute: 20,
  /** Failed introspections one agent key may ask about per minute (agents relay guesses). */
  introspectFailuresPerMinute: 600,
  /** Console session lifetime (a duration: 8h, 30m, 1d). */
  sessionTtl: '8h',
  /** Behind a TLS-terminating proxy: trust X-Forwarded-Proto / X-Forwarded-For (off: a client could pick its own limiter bucket). */
  trustProxy: false,
  /** Alert webhooks may go to loopback, private, link-local and metadata addresses (off: refused, SSRF). */
  alertWebhookAllowPrivate: false,
  /** A node offline this long (a duration) loses its running jobs: failed NODE_FAIL, or requeued. */
  nodeFailGrace: '2m',
  /** Each executed job keeps this much of its newest log (bytes, or with KiB/MiB/GiB). */
  jobLogRetain: '8MiB',
  /** How often the leader imports Slurm accounting (a duration, or off). */
  slurmInterval: '5m',
  /** sacct, used when no --slurm-rest-url is given. */
  slurmSacct: 'sacct',
  /** slurmrestd's slurmdb plugin version (Slurm 22.05: v0.0.38). */
  slurmRestApi: 'v0.0.38',
  /** Raw telemetry older than this moves into compressed blocks (past the 30/60-minute windows). */
  telemetryCompactAfter: '70m',
  /** Where GPU telemetry lives: `sql` (the store's tables) or `vm=http://…` (VictoriaMetrics). */
  telemetry: 'sql',
} as const
