import { Command } from 'commander'
import { listed, withClientOptions } from '../client-options.ts'
import { fleetAction, listAction } from '../fleet-action.ts'

/** The fleet: clusters, nodes, regions, alerts. */
export function fleetListCommands (): Command[] {
  const fleet = () => import('../ops/fleet-ops.ts')
  const alerts = () => import('../ops/alerts-ops.ts')
  return [
    new Command('clusters')
      .description('clusters (default: list); create one (admin key)')
      .addCommand(listed(new Command('list'))
        .description('clusters with node, GPU and job counts')
        .action(listAction(async () => (await fleet()).listClusters)), { isDefault: true })
      .addCommand(withClientOptions(new Command('create'))
        .description('create a cluster; its agents\' key is printed once on stdout')
        .requiredOption('--name <name>', 'cluster name (unique)')
        .option('--region <code>', 'region code, e.g. us-east-1')
        .option('--time-limit <minutes>', 'default time limit for its jobs')
        .action(fleetAction('control-plane', async () => (await fleet()).createCluster))),
    new Command('nodes')
      .description('nodes (default: list); drain, resume or delete one (admin key)')
      .addCommand(listed(new Command('list'))
        .description('nodes with status, GPUs and agent URL')
        .option('--cluster <id>', 'only this cluster')
        .action(listAction(async () => (await fleet()).listNodes)), { isDefault: true })
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
    listed(new Command('regions'))
      .description('region health for the autorouter')
      .action(listAction(async () => (await fleet()).listRegions)),
    new Command('alerts')
      .description('alert events (default) and rules')
      .addCommand(listed(new Command('events'))
        .description('newest alert events, active ones in capitals')
        .option('--limit <n>', 'at most this many, 1–100 (default 50)')
        .action(listAction(async () => (await alerts()).listAlertEvents)), { isDefault: true })
      .addCommand(withClientOptions(new Command('silence'))
        .description('no webhook for an event\'s rule and subject for a while (admin key)')
        .argument('<id>', 'alert event id (gpufleet alerts events)')
        .option('--minutes <n>', 'how long, 1–43200 (default 60)')
        .action(fleetAction('control-plane', async () => (await alerts()).silenceAlertEvent)))
      .addCommand(new Command('rules')
        .description('alert rules (default: list); set a rule\'s threshold, webhook or state (admin key)')
        .addCommand(listed(new Command('list'))
          .description('alert rules, thresholds and webhooks')
          .action(listAction(async () => (await alerts()).listAlertRules)), { isDefault: true })
        .addCommand(withClientOptions(new Command('set'))
          .description('change a rule: only the flags given change')
          .argument('<id>', 'rule id (gpufleet alerts rules)')
          .option('--threshold <n>', 'the rule\'s threshold, in its unit (gpufleet alerts rules)')
          .option('--webhook <url>', 'http(s) URL each fired and resolved event is POSTed to')
          .option('--no-webhook', 'remove the webhook')
          .option('--webhook-format <format>', 'gpufleet, alertmanager or alertmanager-api')
          .option('--enabled <true|false>', 'turn the rule on or off')
          .action(fleetAction('control-plane', async () => (await alerts()).setAlertRule)))),
  ]
}
