/**
 * The figures' definitions in one place (README "Dashboards" explains them). Times in ms.
 */
export const DASHBOARD_DEFINITIONS = Object.freeze({
  /** Seed 003's active/idle line: a GPU is active above 10 % utilization. */
  activeAbovePct: 10,
  /** A live reading older than this is not trusted (the regions router's default too). */
  staleAfterMs: 30_000,
  /** fleet_utilization.status: good at or above, warning at or above, else critical. */
  utilizationGoodPct: 60,
  utilizationWarningPct: 30,
  /** Seed 003 leakage: idle allocated = held the whole window at < 10 % mean utilization. */
  idleWindowMs: 30 * 60_000,
  idleBelowPct: 10,
  /** Seed 003 leakage: tenants below 30 % mean utilization over 24 h. */
  underutilizedWindowMs: 24 * 3600_000,
  underutilizedBelowPct: 30,
  /** Seed 003 leakage: metered vs invoiced differing by more than 5 %. */
  billingGapPct: 5,
  /** Invoices whose period ended within this long are checked (the longest billing period is 90 days). */
  billingLookbackMs: 90 * 86_400_000,
  /** Recent jobs on GET /api/dashboard (seed 003: 20). */
  recentJobs: 20,
})
