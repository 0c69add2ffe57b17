import { html } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>

/** The pages in navigation order: path, menu label. */
export const CONSOLE_PAGES = [
  ['/', 'Fleet'],
  ['/allocation', 'Allocation'],
  ['/telemetry', 'GPU telemetry'],
  ['/tenants', 'Tenants'],
  ['/jobs', 'Jobs'],
  ['/billing', 'Billing'],
  ['/alerts', 'Alerts'],
  ['/keys', 'API keys'],
  ['/analytics', 'Analytics'],
  ['/workers', 'Worker timeline'],
] as const

export type ConsolePath = typeof CONSOLE_PAGES[number][0]
/** Pages reached from others (a node, a GPU), not from the navigation. */
export type DetailPath = '/node' | '/gpu'

export interface LayoutOptions {
  title: string
  path: ConsolePath | DetailPath | '/login'
  /** Present once logged in: the token the client script sends as x-csrf-token. */
  csrfToken?: string
  /** Which of uPlot's files the page needs (only chart pages ship it). */
  charts?: boolean
  body: Html
}

/**
 * The one page frame: a skip link, the navigation (aria-current on the page shown), a live
 * region for action results, and no inline script or style (the CSP forbids both).
 */
export function layout (o: LayoutOptions): Html {
  const nav = o.csrfToken === undefined
    ? ''
    : html`<nav aria-label="Console"><ul>${CONSOLE_PAGES.map(([href, label]) =>
        html`<li><a href="${href}"${href === o.path ? html` aria-current="page"` : ''}>${label}</a></li>`)}</ul>
      <form method="post" action="/logout" class="logout"><input type="hidden" name="_csrf" value="${o.csrfToken}"><button type="submit">Log out</button></form></nav>`
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${o.csrfToken === undefined ? '' : html`<meta name="csrf-token" content="${o.csrfToken}">`}
<title>${o.title} · gpufleet</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/console.css">
${o.charts === true ? html`<link rel="stylesheet" href="/assets/uPlot.min.css"><script src="/assets/uPlot.iife.min.js" defer></script>` : ''}
<script src="/assets/console.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header><span class="brand">gpufleet</span>${nav}</header>
<main id="main" tabindex="-1">
<h1>${o.title}</h1>
<p id="flash" role="status" aria-live="polite"></p>
${o.body}
</main>
</body>
</html>`
}

/** A section that the client script refreshes from /fragments/{name}[?query] every `everyMs`. */
export function live (name: string, everyMs: number | null, body: Html, query?: string): Html {
  return html`<div id="frag-${name}" data-fragment="${name}"${everyMs === null ? '' : html` data-refresh-ms="${everyMs}"`}${query === undefined ? '' : html` data-fragment-query="${query}"`}>${body}</div>`
}
