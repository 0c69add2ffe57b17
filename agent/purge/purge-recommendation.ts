export interface PurgeOutcome {
  /** Runtime adapters that could not list their models: name and where they were asked. */
  unreachable: Array<{ name: string, target?: string | undefined }>
  /** "vllm llama-3-70b" for every model left loaded because it was busy (no force). */
  busyLeft: string[]
  /** Unloads that failed; `forceHelps` when retrying with force would act harder (SIGKILL). */
  failed: Array<{ label: string, forceHelps: boolean }>
  /** Models the adapters listed (unloaded, left or failed); 0 = nothing was loaded. */
  listed: number
  /** Runtime and process adapters configured on this host. */
  adapters: number
  /** Biggest GPU process left that no adapter manages, when one still holds real memory. */
  residual: { pid: number, name: string, mib: number, totalMib: number, count: number } | null
  settled: boolean
  settleMs: number
}

/**
 * What the operator should do next, most urgent first: unreachable runtimes, busy models,
 * failures, then memory held by processes purge does not manage. Only an outcome with none of
 * those reads "GPU memory cleared successfully" (seed 004's success line, kept verbatim).
 */
export function purgeRecommendation (o: PurgeOutcome): string {
  const say: string[] = []
  if (o.unreachable.length > 0) {
    const which = o.unreachable.map(u => (u.target === undefined ? u.name : `${u.name} (${u.target})`))
    say.push(`Could not query ${andList(which)}: check that ${o.unreachable.length === 1 ? 'it is' : 'they are'} running and reachable from the agent, then purge again.`)
  }
  if (o.busyLeft.length > 0) {
    const one = o.busyLeft.length === 1
    say.push(`${one ? '1 model in use was' : `${o.busyLeft.length} models in use were`} left loaded (${o.busyLeft.join(', ')}): retry with force: true to stop ${one ? 'its' : 'their'} requests and unload ${one ? 'it' : 'them'}.`)
  }
  if (o.failed.length > 0) {
    const hint = o.failed.some(f => f.forceHelps) ? 'retry with force: true, or fix the cause listed in errors' : 'fix the cause listed in errors, then purge again'
    say.push(`${o.failed.length === 1 ? '1 unload' : `${o.failed.length} unloads`} failed (${o.failed.map(f => f.label).join(', ')}): ${hint}.`)
  }
  if (say.length === 0 && o.listed === 0) {
    say.push(o.adapters === 0
      ? 'Nothing was loaded: no model runtime is configured on this agent (--ollama-url, --vllm-urls, --triton-url, --purge-process-allow).'
      : 'Nothing was loaded: no configured runtime reported a model and no allow-listed process held GPU memory.')
  }
  if (say.every(s => s.startsWith('Nothing')) && o.residual !== null) {
    const r = o.residual
    const others = r.count > 1 ? ` (${r.count} processes, ${gb(r.totalMib)} GB in all)` : ''
    say.push(`GPU memory is still held by processes purge does not manage${others}; the biggest is pid ${r.pid} (${r.name}, ${gb(r.mib)} GB). Stop ${r.count > 1 ? 'them' : 'it'}, or add ${r.count > 1 ? 'their executables' : 'its executable'} to --purge-process-allow (a full path, or name:<file>) so purge may terminate ${r.count > 1 ? 'them' : 'it'}.`)
  }
  if (!o.settled) {
    say.push(`GPU memory had not settled when the purge stopped waiting (${Number((o.settleMs / 1000).toFixed(1))}s), so memory_after may be high; read GET /v1/gpu/memory again shortly.`)
  }
  return say.length === 0 ? 'GPU memory cleared successfully' : say.join(' ')
}

function andList (items: string[]): string {
  if (items.length <= 1) return items.join('')
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`
}

function gb (mib: number): string {
  return (Math.round(mib / 1024 * 10) / 10).toFixed(1)
}
