import { Command } from 'commander'
import { listed, withClientOptions } from '../client-options.ts'
import { fleetAction, listAction } from '../fleet-action.ts'

/** Tenants, usage, rates and invoices. */
export function billingCommands (): Command[] {
  const billing = () => import('../ops/billing-ops.ts')
  const tenants = () => import('../ops/tenants-ops.ts')
  const rates = () => import('../ops/rates-ops.ts')
  const invoices = () => import('../ops/invoices-ops.ts')
  const tenantFlags = (cmd: Command): Command => cmd
    .option('--email <address>', 'billing contact email')
    .option('--plan <tier>', 'starter, pro, growth or enterprise')
    .option('--status <status>', 'active or inactive (an inactive tenant\'s jobs wait)')
  return [
    new Command('tenants')
      .description('tenants (default: list); create, update or delete one (admin key)')
      .addCommand(listed(new Command('list'))
        .description('tenants with quota use and waiting jobs')
        .action(listAction(async () => (await billing()).listTenants)), { isDefault: true })
      .addCommand(tenantFlags(withClientOptions(new Command('create'))
        .description('create a tenant')
        .requiredOption('--name <name>', 'tenant name (unique)')
        .requiredOption('--quota <gpus>', 'GPUs it may run at once'))
        .action(fleetAction('control-plane', async () => (await tenants()).createTenant)))
      .addCommand(tenantFlags(withClientOptions(new Command('update'))
        .description('change a tenant: only the flags given change')
        .argument('<id>', 'tenant id (gpufleet tenants)')
        .option('--name <name>', 'new name')
        .option('--quota <gpus>', 'GPUs it may run at once (lowering it preempts nothing)'))
        // After --email: commander defaults a --no-x defined first to true.
        .option('--no-email', 'clear the contact email')
        .action(fleetAction('control-plane', async () => (await tenants()).updateTenant)))
      .addCommand(withClientOptions(new Command('delete'))
        .description('delete a tenant: its jobs are unlinked, its waiting jobs cancelled')
        .argument('<id>', 'tenant id')
        .action(fleetAction('control-plane', async () => (await tenants()).deleteTenant))),
    withClientOptions(new Command('usage'))
      .description('a tenant\'s metered GPU hours and cost by GPU type')
      .argument('<tenant>', 'tenant id')
      .option('--days <n>', 'window in UTC days, 1–90 (default 30)')
      .action(fleetAction('control-plane', async () => (await tenants()).showUsage)),
    new Command('rates')
      .description('prices per GPU-hour (default: list); set one (admin key)')
      .addCommand(listed(new Command('list'))
        .description('the rate card')
        .action(listAction(async () => (await rates()).listRates)), { isDefault: true })
      .addCommand(withClientOptions(new Command('set'))
        .description('set the price of a GPU type per GPU-hour')
        .argument('<gpu-type>', 'rate key matched in GPU model names, e.g. H100')
        .argument('<dollars>', 'dollars per GPU-hour, e.g. 4.76')
        .action(fleetAction('control-plane', async () => (await rates()).setRate))),
    new Command('invoices')
      .description('invoices (default: the 20 newest); create, show, set-status')
      .addCommand(listed(new Command('list'))
        .description('the 20 newest invoices')
        .action(listAction(async () => (await billing()).listInvoices)), { isDefault: true })
      .addCommand(withClientOptions(new Command('create'))
        .description('invoice a tenant for the last whole UTC days (the same period answers the same invoice)')
        .argument('<tenant>', 'tenant id')
        .option('--days <n>', 'window in UTC days, 1–90 (default 30)')
        .action(fleetAction('control-plane', async () => (await invoices()).createInvoice)))
      .addCommand(withClientOptions(new Command('show'))
        .description('one invoice with its line items')
        .argument('<id>', 'invoice id')
        .action(fleetAction('control-plane', async () => (await invoices()).showInvoice)))
      .addCommand(withClientOptions(new Command('set-status'))
        .description('mark an invoice pending, paid or overdue')
        .argument('<id>', 'invoice id')
        .argument('<status>', 'pending, paid or overdue')
        .action(fleetAction('control-plane', async () => (await invoices()).setInvoiceStatus))),
  ]
}
