import { createHash } from 'node:crypto'
import type { Assignment, AssignmentSet } from '../../shared/wire/job-execution.ts'
import type { NodeAssignment } from '../store/job-repository.ts'

/**
 * A node's running executed jobs as its agent reads them, with an etag that is a hash of the
 * set itself: every replica computes the same one for the same jobs, so a poll may land on any.
 */
export function assignmentSet (nodeId: number, rows: readonly NodeAssignment[]): AssignmentSet {
  const jobs = [...rows].sort((a, b) => a.jobId - b.jobId).map(toAssignment)
  const etag = createHash('sha256').update(JSON.stringify([nodeId, jobs])).digest('base64url').slice(0, 22)
  return { node_id: nodeId, etag, jobs }
}

function toAssignment (a: NodeAssignment): Assignment {
  const gpus = [...a.gpus].sort((x, y) => x.index - y.index)
  // CUDA_VISIBLE_DEVICES takes UUIDs or ordinals, never a mix: ordinals when one UUID is unknown.
  const uuids = gpus.every(g => g.uuid !== null && g.uuid !== '') ? gpus.map(g => g.uuid as string) : gpus.map(g => String(g.index))
  return {
    job_id: a.jobId,
    run: a.run,
    command: a.command,
    env: a.env,
    workdir: a.workdir,
    gpu_uuids: uuids,
    gpu_indices: gpus.map(g => g.index),
    time_limit_min: a.timeLimitMin,
    started_at: new Date(a.run).toISOString(),
  }
}
