/**
 * What an agent may claim about its node and GPUs (issue 12: a node registered with 1 TB of
 * GPU memory was handed out by GET /v1/route). Generous past today's hardware, so a real
 * reading is never refused, yet far below what would let one liar win routing outright.
 * docs/api.md "What an agent may claim" lists them with the reasoning; raise them here.
 */
export const NODE_CLAIM_BOUNDS = Object.freeze({
  /**
   * Per GPU, MiB: the largest GPUs shipping hold 288 GB (B300, MI355X) and the next
   * announced 432 GB (MI400); 512 GiB leaves room for them and refuses "1 TB" cards.
   */
  gpuMemoryMb: 524_288,
  /** GPUs on one node: seed 000's gpu_id is 0..255. */
  gpusPerNode: 256,
  /** Logical CPUs on one node: 8-socket servers have ~1,000 today. */
  cpuCores: 4096,
  /** Host memory, GB: the largest single-system-image servers hold 32 TB. */
  ramGb: 65_536,
})
