import type { Context } from 'hono'

/**
 * Every console response: a CSP that allows only our own scripts, styles and fetches (no
 * inline script or style, no framing), and no caching of pages that show fleet data.
 * secureHeaders() in createControlPlane sets the rest (its X-Frame-Options is superseded by
 * frame-ancestors in every browser that reads CSP).
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ')

export function setConsoleHeaders (c: Context, cache: 'no-store' | 'asset'): void {
  c.header('Content-Security-Policy', CONSOLE_CSP)
  c.header('X-Content-Type-Options', 'nosniff')
  c.header('Referrer-Policy', 'no-referrer')
  c.header('Cache-Control', cache === 'no-store' ? 'no-store' : 'public, max-age=300, must-revalidate')
}
