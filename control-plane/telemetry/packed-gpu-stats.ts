import type { GpuStatRowMig, IngestNode } from '../../shared/wire/gpu-stats.ts'
import type { PackedSamples } from '../store/telemetry-repository.ts'
import { unpackSamples, wireRowPacker } from '../store/packed-samples.ts'
import { eachAcceptedRow, type ParsedGpuStats, type ParseWindow } from './parse-gpu-stats-body.ts'

/**
 * A parsed ingest body as it crosses from a parse worker to the event loop: the samples
 * packed (store/packed-samples.ts: one Float64Array, transferred, and one array of strings)
 * instead of an object per row. The event loop hands them on packed to the store.
 */
export interface PackedGpuStats extends PackedSamples {
  node: IngestNode | undefined
  skipped: number
  mig: Array<[number, GpuStatRowMig & { recordedAt: number }]>
}

/** A parse's verdict: the body's samples, or the 4xx it is answered with (nothing written). */
export type IngestParseOutcome =
  | { ok: true, packed: PackedGpuStats }
  | { ok: false, status: number, code: string, message: string, details?: Record<string, unknown> }

/** parseGpuStatsBody with the samples packed as they are accepted (a parse worker's form): no object per row. */
export function parseGpuStatsPacked (body: unknown, window: ParseWindow): PackedGpuStats {
  let packer: ReturnType<typeof wireRowPacker> | null = null
  const { node, skipped, mig } = eachAcceptedRow(body, window, (row, recordedAt, rows) => {
    (packer ??= wireRowPacker(rows)).add(row, recordedAt)
  })
  return { node, skipped, mig: [...mig], ...(packer ?? wireRowPacker(0)).done() }
}

export function unpackGpuStats (packed: PackedGpuStats): ParsedGpuStats {
  return { node: packed.node, skipped: packed.skipped, mig: new Map(packed.mig), samples: unpackSamples(packed) }
}
