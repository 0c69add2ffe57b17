import { Gauge, Histogram, type Registry } from 'prom-client'
import type { CheckpointResult } from '../store/sqlite/open-checkpoint-worker.ts'

/**
 * The SQLite checkpoint thread's figures on the control plane's registry: how long each
 * checkpoint took on its thread and how big the WAL was. A WAL that stays near its 64 MiB
 * bound means the checkpoints rarely finish between commits (the writer then does the rest).
 */
export function createCheckpointMetrics (registry: Registry): (result: CheckpointResult) => void {
  const seconds = new Histogram({
    name: 'gpufleet_cp_store_checkpoint_duration_seconds',
    help: 'SQLite WAL checkpoint time on the checkpoint thread, in seconds.',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  })
  const walFrames = new Gauge({
    name: 'gpufleet_cp_store_wal_frames',
    help: 'Pages in the SQLite WAL at the last checkpoint.',
    registers: [registry],
  })
  return result => {
    seconds.observe(result.ms / 1000)
    walFrames.set(Math.max(0, result.walFrames))
  }
}
