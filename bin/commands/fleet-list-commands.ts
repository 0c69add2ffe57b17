import { Command } from 'commander'
import { withClientOptions } from '../client-options.ts'
import { fleetAction } from '../fleet-action.ts'

/** The read-only listings: clusters, nodes, regions, tenants, invoices, alerts. */
export function fleetListCommands (): Command[] {
  const fleet = () => import('../ops/fleet-ops.ts')
  const billing = () => import('../ops/billing-ops.ts')
  const alerts = () => import('../ops/alerts-ops.ts')
  return [
    withClientOptions(new Command('clusters'))
      .description('clusters with node, GPU and job counts')
      .action(fleetAction('control-plane', async () => (await fleet()).listClusters)),
    new Command('nodes')
      .description('nodes (default: list); drain, resume or delete one (admin key)')
      .addCommand(withClientOptions(new Command('list'))
        .description('nodes with status, GPUs and agent URL')
        .option('--cluster <id>', 'only this cluster')
        .action(fleetAction('control-plane', async () => (await fleet()).listNodes)), { isDefault: true })
      .addCommand(withClientOptions(new Command('drain'))
        .description('place no new jobs on the node; running ones finish')
        .argument('<id>', 'node id (gpufleet nodes)')
        .action(fleetAction('control-plane', async () => (await fleet()).drainNode)))
      .addCommand(withClientOptions(new Command('resume'))
        .description('place jobs on a drained node again')
        .argument('<id>', 'node id')
        .action(fleetAction('control-plane', async () => (await fleet()).resumeNode)))
      .addCommand(withClientOptions(new Command('delete'))
        .description('remove the node and its GPUs (refused while jobs run on it); its alert events resolve')
        .argument('<id>', 'node id')
        .action(fleetAction('control-plane', async () => (await fleet()).deleteNode))),
    withClientOptions(new Command('regions'))
      .description('region health for the autorouter')
      .action(fleetAction('control-plane', async () => (await fleet()).listRegions)),
    withClientOptions(new Command('tenants'))
      .description('tenants with quota use and waiting jobs')
      .action(fleetAction('control-plane', async () => (await billing()).listTenants)),
    withClientOptions(new Command('invoices'))
      .description('the 20 newest invoices')
      .action(fleetAction('control-plane', async () => (await billing()).listInvoices)),
    new Command('alerts')
      .description('alert events (default) and rules')
      .addCommand(withClientOptions(new Command('events'))
        .description('newest alert events, active ones in capitals')
        .option('--limit <n>', 'at most this many, 1–100 (default 50)')
        .action(fleetAction('control-plane', async () => (await alerts()).listAlertEvents)), { isDefault: true })
      .addCommand(withClientOptions(new Command('silence'))
        .description('no webhook for an event\'s rule and subject for a while (admin key)')
        .argument('<id>', 'alert event id (gpufleet alerts events)')
        .option('--minutes <n>', 'how long, 1–43200 (default 60)')
        .action(fleetAction('control-plane', async () => (await alerts()).silenceAlertEvent)))
      .addCommand(withClientOptions(new Command('rules'))
        .description('alert rules, thresholds and webhooks')
        .action(fleetAction('control-plane', async () => (await alerts()).listAlertRules))),
  ]
}
