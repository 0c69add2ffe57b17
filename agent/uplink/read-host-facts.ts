import { hostname } from 'node:os'
import si from 'systeminformation'

/** What node registration (seed 003 `POST /api/clusters/nodes`) says about the host. */
export interface HostFacts {
  hostname: string
  ipAddress: string | null
  cpuCores: number | null
  ramGb: number | null
}

export type ReadHostFacts = () => Promise<HostFacts>

/**
 * Host facts from systeminformation. Each probe fails soft to null: a container without a
 * default route or /proc/meminfo still registers, just with fewer facts.
 */
export async function readHostFacts (): Promise<HostFacts> {
  const [os, cpu, mem, iface] = await Promise.all([
    si.osInfo().catch(() => null),
    si.cpu().catch(() => null),
    si.mem().catch(() => null),
    si.networkInterfaces('default').catch(() => null),
  ])
  return {
    hostname: os?.hostname || hostname(),
    ipAddress: iface?.ip4 || null,
    // Logical cores: what a scheduler can hand to jobs.
    cpuCores: cpu?.cores || null,
    ramGb: mem?.total ? Math.round(mem.total / 1024 ** 3) : null,
  }
}
