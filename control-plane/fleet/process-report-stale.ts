/**
 * A node whose last process report is older than this is stale: agents report at least every
 * 30 s, so 2 min is four missed reports. Its processes count nowhere (leakage, alerts, metrics,
 * a job's processes) until it reports again.
 */
export const PROCESS_REPORT_STALE_MS = 2 * 60_000
