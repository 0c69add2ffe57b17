import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

/** The host's nvidia-smi: /usr/bin/nvidia-smi, else the first on PATH; null when there is none. */
export function findNvidiaSmi (path = process.env.PATH ?? ''): string | null {
  for (const candidate of ['/usr/bin/nvidia-smi', ...path.split(delimiter).filter(d => d !== '').map(d => join(d, 'nvidia-smi'))]) {
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {}
  }
  return null
}
