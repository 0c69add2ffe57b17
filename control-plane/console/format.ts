import { html } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'

/** Display formatting for console pages (the wire stays raw; people read these). */
export const dash = '—'

// One formatter per precision: Number#toLocaleString builds a new Intl.NumberFormat on every
// call (~0.1 ms), which made an 800-GPU fleet page spend 400 ms formatting numbers.
const formatters = new Map<number, Intl.NumberFormat>()

export function num (v: number | null | undefined, digits = 0): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return dash
  let f = formatters.get(digits)
  if (f === undefined) {
    f = new Intl.NumberFormat('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    formatters.set(digits, f)
  }
  return f.format(v)
}

export function pct (v: number | null | undefined): string {
  return v === null || v === undefined ? dash : `${num(v)} %`
}

export function usd (v: number | null | undefined): string {
  return v === null || v === undefined ? dash : `$${num(v, 2)}`
}

/** ISO 8601 → "2026-05-09 00:30:00 UTC" (the console shows UTC; the wire is ISO). */
export function utc (iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return dash
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`
}

/**
 * A point in time as people read it: the absolute UTC time, and beside it how long ago that
 * was ("(5 s ago)") in a <time class="ago"> carrying the instant. The server writes the
 * relative part as of `now` when it knows it; the client script rewrites every `time.ago`
 * each second, so a page left open stays right.
 */
export function when (iso: string | null | undefined, now?: number): HtmlEscapedString | string {
  if (iso === null || iso === undefined) return dash
  const t = Date.parse(iso)
  if (Number.isNaN(t)) return iso
  return html`${utc(iso)} <time class="ago" datetime="${new Date(t).toISOString()}">${now === undefined ? '' : `(${ago(t, now)})`}</time>` as HtmlEscapedString
}

/** How long before `now` the time `at` was, coarsely: "just now", "5 s ago", "3 min ago", "2 h ago", "4 d ago" (or "in …"). */
export function ago (at: number, now: number): string {
  const s = Math.round((now - at) / 1000)
  const a = Math.abs(s)
  if (a < 2) return 'just now'
  const span = a < 90 ? `${a} s` : a < 5400 ? `${Math.round(a / 60)} min` : a < 172_800 ? `${Math.round(a / 3600)} h` : `${Math.round(a / 86_400)} d`
  return s > 0 ? `${span} ago` : `in ${span}`
}

export function gb (mb: number | null | undefined): string {
  return mb === null || mb === undefined ? dash : num(mb / 1024, 0)
}
