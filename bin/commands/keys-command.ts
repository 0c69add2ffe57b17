import { Command } from 'commander'
import { listed, withClientOptions } from '../client-options.ts'
import { fleetAction, listAction } from '../fleet-action.ts'

export function keysCommand (): Command {
  const ops = () => import('../ops/keys-ops.ts')
  return new Command('keys')
    .description('API keys: create (shown once), list, revoke (admin)')
    .addCommand(withClientOptions(new Command('create'))
      .description('create a key; the raw key is printed once on stdout')
      .requiredOption('--label <label>', 'what the key is for')
      .option('--permissions <scopes>', 'comma-separated: read, write, admin, superadmin, ingest (default read,write; ingest with --cluster)')
      .option('--tenant <id>', 'bind the key to one tenant')
      .option('--cluster <id>', 'bind an agent (ingest) key to one cluster: it acts for that cluster\'s nodes only; without it an ingest key is unbound')
      .action(fleetAction('control-plane', async () => (await ops()).createKey)))
    .addCommand(listed(new Command('list'))
      .description('list keys (prefix, permissions, last use; never the key)')
      .action(listAction(async () => (await ops()).listKeys)))
    .addCommand(withClientOptions(new Command('revoke'))
      .description('revoke a key (it fails with 401 from the next request on)')
      .argument('<id>', 'key id (gpufleet keys list)')
      .action(fleetAction('control-plane', async () => (await ops()).revokeKey)))
}
