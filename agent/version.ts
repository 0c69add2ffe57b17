import { readFileSync } from 'node:fs'

/** The package version, reported upstream and on /metrics (gpufleet_agent_info). */
export const AGENT_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version
