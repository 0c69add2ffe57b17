import type { JudgedProcess, NodeGpuHolder, ProcessRepository, ProcessVerdict, StoredProcess } from '../process-repository.ts'
import type { Row, SqlDb } from '../sql-db.ts'
import { numOrNull, strOrNull } from './cells.ts'

// The running job holding each GPU now (at most one: job_gpus_one_holder).
const HOLDERS = `SELECT g.id AS gpu_id, g.gpu_index, g.uuid, h.job_id, h.started_at, h.executed FROM gpus g
  LEFT JOIN (SELECT jg.gpu_id, j.id AS job_id, j.started_at, CASE WHEN j.command IS NULL THEN 0 ELSE 1 END AS executed
    FROM job_gpus jg JOIN jobs j ON j.id = jg.job_id
    WHERE jg.released_at IS NULL AND j.status = 'running') h ON h.gpu_id = g.id
  WHERE g.node_id = ? ORDER BY g.gpu_index`

const INSERT = `INSERT INTO node_processes (node_id, gpu_uuid, pid, process_name, used_memory_mib, reported_job_id, reported_run,
    gpu_id, job_id, verdict, seen_at, flagged_since) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

const toHolder = (r: Row): NodeGpuHolder => ({
  gpuId: Number(r.gpu_id),
  gpuIndex: Number(r.gpu_index),
  uuid: strOrNull(r.uuid),
  jobId: numOrNull(r.job_id),
  jobStartedAt: numOrNull(r.started_at),
  jobExecuted: Number(r.executed) === 1,
})

const toProcess = (r: Row): StoredProcess => ({
  nodeId: Number(r.node_id),
  hostname: String(r.hostname),
  clusterId: Number(r.cluster_id),
  gpuUuid: String(r.gpu_uuid),
  gpuId: numOrNull(r.gpu_id),
  gpuIndex: numOrNull(r.gpu_index),
  pid: Number(r.pid),
  processName: String(r.process_name),
  usedMemoryMib: numOrNull(r.used_memory_mib),
  reportedJobId: numOrNull(r.reported_job_id),
  reportedRun: numOrNull(r.reported_run),
  jobId: numOrNull(r.job_id),
  tenantId: numOrNull(r.tenant_id),
  verdict: String(r.verdict) as ProcessVerdict,
  seenAt: Number(r.seen_at),
  flaggedSince: numOrNull(r.flagged_since),
  reportedAt: Number(r.reported_at),
})

const key = (p: { gpuUuid: string, pid: number }): string => `${p.gpuUuid}\n${p.pid}`

export function createSqlProcessRepository (db: SqlDb): ProcessRepository {
  return {
    async replaceNodeProcesses (nodeId, at, judge) {
      await db.tx(null, async q => {
        // First: the report row's lock serializes two reports of one node (PostgreSQL).
        await q.run(`INSERT INTO node_process_reports (node_id, reported_at) VALUES (?, ?)
            ON CONFLICT (node_id) DO UPDATE SET reported_at = excluded.reported_at`, nodeId, at)
        const holders = (await q.all(HOLDERS, nodeId)).map(toHolder)
        const judged: JudgedProcess[] = judge(holders)
        const before = new Map((await q.all('SELECT gpu_uuid, pid, seen_at, flagged_since FROM node_processes WHERE node_id = ?', nodeId))
          .map(r => [key({ gpuUuid: String(r.gpu_uuid), pid: Number(r.pid) }), { seenAt: Number(r.seen_at), flaggedSince: numOrNull(r.flagged_since) }]))
        await q.run('DELETE FROM node_processes WHERE node_id = ?', nodeId)
        if (judged.length === 0) return
        await q.runEach(INSERT, judged.map(p => {
          const was = before.get(key(p))
          const flaggedSince = p.verdict === 'attributed' ? null : (was?.flaggedSince ?? at)
          return [nodeId, p.gpuUuid, p.pid, p.processName, p.usedMemoryMib, p.reportedJobId, p.reportedRun, p.gpuId, p.jobId, p.verdict, was?.seenAt ?? at, flaggedSince]
        }))
      })
    },

    async list (query = {}) {
      const rows = await db.all(`SELECT p.*, n.hostname, n.cluster_id, g.gpu_index, j.tenant_id, r.reported_at
          FROM node_processes p
          JOIN nodes n ON n.id = p.node_id
          JOIN node_process_reports r ON r.node_id = p.node_id
          LEFT JOIN gpus g ON g.id = p.gpu_id
          LEFT JOIN jobs j ON j.id = p.job_id
          WHERE (CAST(? AS BIGINT) IS NULL OR r.reported_at >= ?)
            AND (CAST(? AS BIGINT) IS NULL OR p.job_id = ?)
            AND (CAST(? AS INTEGER) = 0 OR p.verdict <> 'attributed')
            AND (CAST(? AS BIGINT) IS NULL OR j.tenant_id = ?)
          ORDER BY n.hostname, p.gpu_uuid, p.pid`,
      query.freshSince ?? null, query.freshSince ?? null, query.jobId ?? null, query.jobId ?? null,
      query.flagged === true ? 1 : 0, query.tenantId ?? null, query.tenantId ?? null)
      return rows.map(toProcess)
    },
  }
}
