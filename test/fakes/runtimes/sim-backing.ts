import { updateSimState } from '../sim-state.ts'

/** A model a fake runtime holds: memory per GPU it spans (tensor parallel = several GPUs). */
export interface FakeModelSpec {
  name: string
  /** GPU index, or indexes for a model split over several GPUs. Default 0. */
  gpuIndex?: number | number[]
  /** MiB the model holds on each of its GPUs. */
  usedMemoryMib: number
}

export interface SimBacking {
  load: (model: FakeModelSpec) => void
  unload: (name: string) => void
  isLoaded: (name: string) => boolean
  loaded: () => string[]
  pidOf: (name: string) => number
}

// Above the kernel's largest possible pid_max (2^22), so a fake pid is never a real process
// and nothing can signal one by mistake.
let nextFakePid = 5_000_000

/**
 * Backs a fake runtime's loaded models with process entries in the nvidia-smi simulator's
 * state, so loading and unloading move the GPU memory the agent reads. `sharedPid`: one server
 * process holds every model (Triton); otherwise each model gets its own process (an Ollama
 * runner, a vLLM server). Entries are rewritten from scratch on every change, one per
 * (process, GPU) like nvidia-smi's compute-apps rows.
 */
export function createSimBacking (options: { simStatePath: string, processName: string, sharedPid?: boolean }): SimBacking {
  const loaded = new Map<string, FakeModelSpec>()
  const pids = new Map<string, number>()
  const sharedPid = options.sharedPid === true ? nextFakePid++ : null

  function pidOf (name: string): number {
    if (sharedPid !== null) return sharedPid
    let pid = pids.get(name)
    if (pid === undefined) {
      pid = nextFakePid++
      pids.set(name, pid)
    }
    return pid
  }

  function sync (): void {
    const owned = new Set([...pids.values(), ...(sharedPid === null ? [] : [sharedPid])])
    const rows = new Map<string, { gpuIndex: number, pid: number, usedMemoryMib: number }>()
    for (const model of loaded.values()) {
      const pid = pidOf(model.name)
      owned.add(pid)
      for (const gpuIndex of gpusOf(model)) {
        const key = `${pid}:${gpuIndex}`
        const row = rows.get(key) ?? { gpuIndex, pid, usedMemoryMib: 0 }
        row.usedMemoryMib += model.usedMemoryMib
        rows.set(key, row)
      }
    }
    updateSimState(options.simStatePath, state => {
      state.processes = state.processes.filter(p => !owned.has(p.pid))
      for (const row of rows.values()) state.processes.push({ ...row, name: options.processName })
    })
  }

  return {
    load (model) {
      loaded.set(model.name, model)
      sync()
    },
    unload (name) {
      if (loaded.delete(name)) sync()
    },
    isLoaded: name => loaded.has(name),
    loaded: () => [...loaded.keys()],
    pidOf,
  }
}

function gpusOf (model: FakeModelSpec): number[] {
  const g = model.gpuIndex ?? 0
  return Array.isArray(g) ? g : [g]
}
