import { execFile } from 'node:child_process'
import { SlurmImportError } from './slurm-import-error.ts'
import type { SlurmSource } from './slurm-source.ts'

export interface SacctSourceOptions {
  /** The sacct executable (--slurm-sacct; default 'sacct' on PATH). */
  sacct: string
  timeoutMs?: number
  /** Largest answer read (bytes). */
  maxBytes?: number
  /** sacct's environment (default this process's); TZ is always UTC. */
  env?: NodeJS.ProcessEnv
}

/** Slurm reads -S/-E in the caller's zone: sacct runs with TZ=UTC and gets UTC wall times. */
export function sacctTime (ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)
}

/**
 * `sacct --json` on the control-plane host (when no --slurm-rest-url is given): every user's
 * (-a) jobs of every cluster in the accounting database (-L) that were active in the window.
 */
export function createSacctSource (options: SacctSourceOptions): SlurmSource {
  const { sacct, timeoutMs = 120_000, maxBytes = 512 * 1024 * 1024, env = process.env } = options
  if (typeof sacct !== 'string' || sacct === '') throw new TypeError('createSacctSource: sacct must be a path or command name')
  return {
    name: 'sacct',
    jobsJson (since, until) {
      const args = ['--json', '-a', '-L', '-S', sacctTime(since), '-E', sacctTime(until)]
      return new Promise((resolve, reject) => {
        execFile(sacct, args, { env: { ...env, TZ: 'UTC', SLURM_TIME_FORMAT: 'standard' }, timeout: timeoutMs, maxBuffer: maxBytes, encoding: 'utf8' },
          (err, stdout, stderr) => {
            if (err === null) return resolve(stdout)
            const e = err as NodeJS.ErrnoException & { killed?: boolean }
            if (e.code === 'ENOENT') return reject(new SlurmImportError('SLURM_UNREACHABLE', `${sacct} not found (install Slurm's client or give --slurm-rest-url)`))
            const why = e.killed === true ? `timed out after ${timeoutMs} ms` : (stderr.trim() || e.message).slice(0, 500)
            // sacct fails the same way whether slurmdbd is down or refuses us; either way no data came.
            reject(new SlurmImportError('SLURM_UNREACHABLE', `sacct failed: ${why}`))
          })
      })
    },
  }
}
