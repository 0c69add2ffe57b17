import { accessSync, constants, existsSync } from 'node:fs'
import { delimiter, isAbsolute, join } from 'node:path'
import type { ControlPlaneConfig } from '../config.ts'
import { createSacctSource } from './sacct-source.ts'
import { createSlurmRestSource } from './slurmrestd-source.ts'
import type { SlurmSource } from './slurm-source.ts'

type SlurmConfig = Pick<ControlPlaneConfig, 'slurmRestUrl' | 'slurmToken' | 'slurmRestUser' | 'slurmRestApi' | 'slurmSacct'>

/**
 * Where this control plane reads Slurm accounting: slurmrestd when --slurm-rest-url is given,
 * else sacct on this host when Slurm is set up here (sacct found and a slurm.conf: $SLURM_CONF or
 * Debian's /etc/slurm/slurm.conf); null otherwise (no Slurm: the plane stays empty and says so).
 */
export function slurmSourceFromConfig (config: SlurmConfig, env: NodeJS.ProcessEnv = process.env): SlurmSource | null {
  if (config.slurmRestUrl !== undefined) {
    return createSlurmRestSource({ url: config.slurmRestUrl, token: config.slurmToken ?? '', user: config.slurmRestUser, apiVersion: config.slurmRestApi })
  }
  if (typeof config.slurmSacct !== 'string' || config.slurmSacct === '') return null
  const sacct = findExecutable(config.slurmSacct, env.PATH ?? '')
  const conf = env.SLURM_CONF ?? '/etc/slurm/slurm.conf'
  return sacct === null || !existsSync(conf) ? null : createSacctSource({ sacct })
}

function findExecutable (name: string, path: string): string | null {
  const candidates = isAbsolute(name) || name.includes('/') ? [name] : path.split(delimiter).filter(d => d !== '').map(d => join(d, name))
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK)
      return c
    } catch {}
  }
  return null
}
