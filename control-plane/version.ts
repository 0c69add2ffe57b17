import { readFileSync } from 'node:fs'

/** The package version, shown in /openapi.json. */
export const CONTROL_PLANE_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version
