import { Command } from 'commander'
import { withClientOptions } from '../client-options.ts'
import { fleetAction } from '../fleet-action.ts'

export function gpuCommand (): Command {
  const ops = () => import('../ops/gpu-ops.ts')
  return new Command('gpu')
    .description('one node\'s GPUs through its agent (seed 004; superadmin key)')
    .addCommand(withClientOptions(new Command('status'), 'agent')
      .description('GPUs: utilization, memory, temperature, power, processes')
      .action(fleetAction('agent', async () => (await ops()).gpuStatus)))
    .addCommand(withClientOptions(new Command('memory'), 'agent')
      .description('GPU memory per GPU')
      .action(fleetAction('agent', async () => (await ops()).gpuMemory)))
    .addCommand(withClientOptions(new Command('purge'), 'agent')
      .description('unload models and clear GPU memory; asks first unless --yes, prints what was freed')
      .option('--force', 'also unload busy models (aborts their requests) and SIGKILL allow-listed processes after the grace')
      .option('-y, --yes', 'do not ask (needed when stdin is not a terminal)')
      .action(fleetAction('agent', async () => (await ops()).gpuPurge)))
}
