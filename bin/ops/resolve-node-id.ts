import type { ControlPlaneClient } from '../../shared/sdk/control-plane-client.ts'
import { EXIT } from '../exit-codes.ts'
import { CliError, usageError } from './cli-error.ts'

interface NodeName { id: number, hostname: string }

/**
 * The node an operator named by id or hostname, looked up in the control plane's node list
 * (the list `gpu --node HOSTNAME` resolves through) before anything is changed.
 */
export async function resolveNodeId (cp: Pick<ControlPlaneClient, 'listNodes'>, given: string | undefined): Promise<number> {
  if (given === undefined || given === '') throw usageError('name the node: its id or hostname (gpufleet nodes lists them)')
  return pickNode(await cp.listNodes(), given)
}

/**
 * The one node `given` names. Hostnames are unique, but one made of digits can be another
 * node's id: then nothing is guessed (a drain or delete of the wrong node is not undone by
 * retrying), and the message says how to name each one unambiguously.
 */
export function pickNode (nodes: readonly NodeName[], given: string): number {
  const asId = /^[0-9]{1,15}$/.test(given) ? Number(given) : undefined
  const byId = nodes.find(n => n.id === asId)
  const byHost = nodes.find(n => n.hostname === given)
  if (byId !== undefined && byHost !== undefined && byId.id !== byHost.id) {
    throw usageError(`${JSON.stringify(given)} is ambiguous: it is node ${byId.id}'s id and node ${byHost.id}'s hostname; ` +
      `name node ${byId.id} by its hostname ${JSON.stringify(byId.hostname)}, or node ${byHost.id} by its id ${byHost.id}`)
  }
  const node = byHost ?? byId
  if (node === undefined) {
    const what = asId === undefined ? 'hostname' : 'id or hostname'
    throw new CliError(EXIT.REJECTED, `no node with ${what} ${JSON.stringify(given)} is registered with the control plane (gpufleet nodes lists them)`)
  }
  return node.id
}
