import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './postgres-server.ts'

/**
 * A throwaway single-node VictoriaMetrics (Debian's `victoria-metrics`, installed by
 * test/setup/install-system-deps.sh) on 127.0.0.1, a random free port and a temp storage dir,
 * with the flags gpufleet's VictoriaMetrics mode asks operators for (docs/victoriametrics.md).
 * `stop()` ends it; `start()` again brings it back on the same port and data (outage tests).
 */
export interface TestVictoriaMetrics {
  url: string
  /** Makes everything imported so far searchable (VictoriaMetrics buffers ~1 s). */
  flush: () => Promise<void>
  stop: () => Promise<void>
  start: () => Promise<void>
  close: () => Promise<void>
}

const CANDIDATES = ['/usr/bin/victoria-metrics', '/usr/local/bin/victoria-metrics']

/** The binary, or null when it is not installed (callers skip with a message naming the package). */
export function victoriaMetricsBinary (): string | null {
  for (const path of CANDIDATES) {
    try {
      accessSync(path, constants.X_OK)
      return path
    } catch {}
  }
  return null
}

export const VM_MISSING = 'victoria-metrics is not installed (Debian package victoria-metrics; test/setup/install-system-deps.sh installs it)'

export interface TestVictoriaMetricsOptions {
  /** Default true: -dedup.minScrapeInterval=1ms, as docs/victoriametrics.md asks. */
  dedup?: boolean
}

export async function startVictoriaMetrics (options: TestVictoriaMetricsOptions = {}): Promise<TestVictoriaMetrics> {
  const bin = victoriaMetricsBinary()
  if (bin === null) throw new Error(VM_MISSING)
  const dir = mkdtempSync(join(tmpdir(), 'gpufleet-test-vm-'))
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  let child: ChildProcess | null = null
  let output = ''

  async function start (): Promise<void> {
    output = ''
    const proc = spawn(bin!, [
      `-storageDataPath=${join(dir, 'data')}`,
      `-httpListenAddr=127.0.0.1:${port}`,
      // What docs/victoriametrics.md asks of operators: one sample per series and millisecond
      // (idempotent replays).
      ...(options.dedup === false ? [] : ['-dedup.minScrapeInterval=1ms']),
      // The tests' samples are dated 2026-04: keep them whatever today is.
      '-retentionPeriod=100y',
      '-loggerLevel=ERROR',
    ], { stdio: ['ignore', 'pipe', 'pipe'] })
    proc.stdout!.on('data', (b: Buffer) => { output = (output + b.toString()).slice(-4000) })
    proc.stderr!.on('data', (b: Buffer) => { output = (output + b.toString()).slice(-4000) })
    child = proc
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`victoria-metrics exited (${proc.exitCode}): ${output}`)
      try {
        const res = await fetch(`${url}/health`)
        if (res.ok) return
      } catch {}
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    throw new Error(`victoria-metrics did not answer /health within 60 s: ${output}`)
  }

  async function stop (): Promise<void> {
    const proc = child
    child = null
    if (proc === null || proc.exitCode !== null) return
    const exited = new Promise<void>(resolve => proc.once('exit', () => resolve()))
    proc.kill('SIGTERM')
    const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000)
    await exited
    clearTimeout(timer)
  }

  await start()
  return {
    url,
    async flush () {
      const res = await fetch(`${url}/internal/force_flush`)
      if (!res.ok) throw new Error(`force_flush: ${res.status}`)
    },
    stop,
    start,
    async close () {
      await stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
