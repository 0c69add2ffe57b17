/**
 * Silencing an alert event (`POST /api/alerts/events/:id/silence`): plain constants, so the
 * CLI checks a silence's length without loading zod. The body's schema is in alerts-schemas.ts.
 */

/** The longest silence: 30 days. */
export const MAX_SILENCE_MINUTES = 43_200
