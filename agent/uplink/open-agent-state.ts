import { randomUUID } from 'node:crypto'
import { mkdir, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { Low } from 'lowdb'
import { JSONFile } from 'lowdb/node'
import type { OperatorTokenKey } from '../../shared/wire/operator-token.ts'
import type { Logger } from '../../shared/logger.ts'

/**
 * The agent's identity, and nothing else: samples live in the spool, config in flags/env.
 * agentId is made once and survives restarts and re-registrations; nodeId/clusterId are
 * what the control plane answered last, so pushes carry node_id even before it answers again.
 * operatorTokenKeys are the control plane's operator-token public keys, pinned at the first
 * registration and never replaced silently (pin-operator-key.ts).
 */
export interface AgentState {
  agentId: string
  nodeId: number | null
  clusterId: number | null
  hostname: string | null
  registeredAt: string | null
  operatorTokenKeys: OperatorTokenKey[]
}

export interface AgentStateStore {
  get: () => Readonly<AgentState>
  update: (patch: Partial<Omit<AgentState, 'agentId'>>) => Promise<void>
}

export const AGENT_STATE_FILE = 'agent-state.json'

export async function openAgentState (stateDir: string, log?: Pick<Logger, 'warn'>): Promise<AgentStateStore> {
  await mkdir(stateDir, { recursive: true })
  const file = join(stateDir, AGENT_STATE_FILE)
  const fresh = (): AgentState => ({ agentId: randomUUID(), nodeId: null, clusterId: null, hostname: null, registeredAt: null, operatorTokenKeys: [] })
  let db = new Low<AgentState>(new JSONFile(file), fresh())
  try {
    await db.read()
  } catch (err) {
    // A half-written or hand-edited identity file must not keep the agent from collecting:
    // set it aside for a human and start over (the control plane matches nodes by hostname).
    const aside = `${file}.corrupt-${Date.now()}`
    await rename(file, aside)
    log?.warn({ err: String(err), movedTo: aside }, 'agent state file unreadable; starting a new identity')
    db = new Low<AgentState>(new JSONFile(file), fresh())
  }
  // Fill fields a file from an older agent lacks; the agentId, once written, never changes.
  const base = fresh()
  db.data = { ...base, ...db.data }
  if (typeof db.data.agentId !== 'string' || db.data.agentId === '') db.data.agentId = base.agentId
  if (!Array.isArray(db.data.operatorTokenKeys)) db.data.operatorTokenKeys = []
  await db.write()

  return {
    get: () => db.data,
    async update (patch) {
      db.data = { ...db.data, ...patch }
      await db.write()
    },
  }
}
