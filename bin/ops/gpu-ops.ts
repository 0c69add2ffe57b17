import { createInterface } from 'node:readline/promises'
import type { FleetOp } from '../fleet-action.ts'
import { EXIT } from '../exit-codes.ts'
import { CliError, usageError } from './cli-error.ts'
import { formatTable } from './print-table.ts'

export const gpuStatus: FleetOp = async ctx => {
  const s = await (await ctx.agent('status')).getGPUStatus()
  ctx.print(s, () => formatTable(s.gpus, [
    ['GPU', g => g.index], ['NAME', g => g.name], ['UTIL%', g => g.utilization.gpuPercent],
    ['MEM USED/TOTAL GB', g => `${g.memory.usedGb}/${g.memory.totalGb}`], ['MEM%', g => g.memory.percentUsed],
    ['TEMP C', g => g.temperatureC], ['POWER W', g => g.powerDrawW],
  ]) + (s.processes.length === 0
    ? ''
    : `\n${formatTable(s.processes, [['PID', p => p.pid], ['GPU', p => p.gpuIndex], ['MEM MB', p => p.memoryMb], ['PROCESS', p => p.name]])}`) +
    `\n${s.totalGpus} GPUs on ${s.hostname}, data ${s.dataAgeMs} ms old\n`)
}

export const gpuMemory: FleetOp = async ctx => {
  const m = await (await ctx.agent('memory')).getGPUMemory()
  ctx.print(m, () => m.memory.map((gpu, i) => `GPU ${i}: ${gpu.usedGb}GB / ${gpu.totalGb}GB (${gpu.percentUsed}%)\n`).join(''))
}

export const gpuPurge: FleetOp = async (ctx, _args, opts) => {
  const force = opts.force === true
  if (ctx.config.node === undefined) throw usageError('which node? pass --node HOSTNAME or --node http://HOST:9410 (or set GPUFLEET_NODE)')
  if (opts.yes !== true) {
    if (process.stdin.isTTY !== true) throw usageError('refusing to purge without confirmation: stdin is not a terminal; pass --yes to purge non-interactively')
    const what = force ? 'unload ALL models, aborting running requests and killing allow-listed GPU processes' : 'unload idle models and clear GPU memory'
    const rl = createInterface({ input: process.stdin, output: process.stderr })
    const answer = await rl.question(`Purge ${ctx.config.node ?? ''}: ${what}? [y/N] `).finally(() => rl.close())
    if (!/^y(es)?$/i.test(answer.trim())) throw new CliError(EXIT.FAILURE, 'purge not confirmed; nothing was done')
  }
  // After the confirmation: a token is minted only for a purge that will be sent.
  const r = await (await ctx.agent('purge')).purgeGPU({ force })
  ctx.print(r, () => [
    `Freed ${r.memoryFreedGb}GB (used ${r.memoryBefore.usedGb}GB → ${r.memoryAfter.usedGb}GB of ${r.memoryAfter.totalGb}GB)`,
    `Unloaded models: ${r.modelsUnloaded.length === 0 ? 'none' : r.modelsUnloaded.join(', ')}`,
    ...r.actions.map(a => `  - ${a}`),
    ...r.errors.map(e => `  ! ${e}`),
    r.recommendation,
  ].join('\n') + '\n')
}
