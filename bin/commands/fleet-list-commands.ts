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
    withClientOptions(new Command('nodes'))
      .description('nodes with status, GPUs and agent URL')
      .option('--cluster <id>', 'only this cluster')
      .action(fleetAction('control-plane', async () => (await fleet()).listNodes)),
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
      .addCommand(withClientOptions(new Command('rules'))
        .description('alert rules, thresholds and webhooks')
        .action(fleetAction('control-plane', async () => (await alerts()).listAlertRules))),
  ]
}
