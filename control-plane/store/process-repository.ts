/**
 * GPU processes attributed to jobs (issue 15): each node's latest process report, judged
 * against the allocations when it arrived. The judgement is the scheduling domain's
 * (control-plane/fleet/judge-processes.ts); the repository stores what it is given.
 */

/**
 * attributed: on a GPU its job holds (an allocation-only job's GPU, or an executed job's own
 * process); unallocated: on a GPU no running job holds, and no job's process; outside_allocation:
 * a job's process on a GPU outside its allocation, or a stranger on an executed job's GPU.
 */
export const PROCESS_VERDICTS = ['attributed', 'unallocated', 'outside_allocation'] as const
export type ProcessVerdict = typeof PROCESS_VERDICTS[number]

/** One GPU of a node and the running job holding it now (null: none). */
export interface NodeGpuHolder {
  gpuId: number
  gpuIndex: number
  uuid: string | null
  jobId: number | null
  /** The holder's current run (its started_at, epoch ms), as the agent's ProcessReport names it. */
  jobStartedAt: number | null
  /** The holder carries a command (jobs.command): its agent runs it, so only the processes it maps to it are its own. */
  jobExecuted: boolean
}

/** A reported process with its judgement, as the report's node stores it. */
export interface JudgedProcess {
  gpuUuid: string
  pid: number
  processName: string
  usedMemoryMib: number | null
  /** What the agent said (its session mapping): the executed job and run, or null. */
  reportedJobId: number | null
  reportedRun: number | null
  /** The fleet's GPU with that UUID on the node; null when the fleet does not know it. */
  gpuId: number | null
  /** The job it is attributed to, or flagged against; null for unallocated use. */
  jobId: number | null
  verdict: ProcessVerdict
}

export interface StoredProcess extends JudgedProcess {
  nodeId: number
  hostname: string
  clusterId: number
  gpuIndex: number | null
  /** The tenant of `jobId`'s job (null: none, or no job). */
  tenantId: number | null
  /** First reported (epoch ms); kept while the process stays in the node's reports. */
  seenAt: number
  /** Since when it has been judged unallocated or outside its allocation without a break; null while attributed. */
  flaggedSince: number | null
  /** When its node last reported (control plane time). */
  reportedAt: number
}

export interface ProcessQuery {
  /** Only nodes that reported at or after this (a node silent longer is stale: its processes don't count). */
  freshSince?: number | undefined
  jobId?: number | undefined
  /** Only unallocated and outside-allocation processes. */
  flagged?: boolean | undefined
  /** Only processes of this tenant's jobs. */
  tenantId?: number | undefined
}

export interface ProcessRepository {
  /**
   * One transaction: reads the node's GPUs with their holders, hands them to `judge`, and
   * replaces the node's process set with what it returns (a process already there keeps its
   * seen_at, and its flagged_since while it stays flagged). Stamps the node's report time `at`.
   */
  replaceNodeProcesses: (nodeId: number, at: number, judge: (holders: NodeGpuHolder[]) => JudgedProcess[]) => Promise<void>
  /** Ordered by hostname, GPU UUID, pid. */
  list: (query?: ProcessQuery) => Promise<StoredProcess[]>
}
