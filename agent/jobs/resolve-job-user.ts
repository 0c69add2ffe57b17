/** One `/etc/passwd` entry: whom a job runs as. */
export interface JobUser {
  name: string
  uid: number
  gid: number
  home: string
  shell: string
}

/** `/etc/passwd` text → entries; malformed lines are skipped. */
export function parsePasswd (text: string): JobUser[] {
  const users: JobUser[] = []
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue
    const f = line.split(':')
    if (f.length < 7) continue
    const uid = Number(f[2])
    const gid = Number(f[3])
    if (!/^\d+$/.test(f[2] ?? '') || !/^\d+$/.test(f[3] ?? '')) continue
    users.push({ name: f[0] as string, uid, gid, home: f[5] as string, shell: f[6] as string })
  }
  return users
}

/**
 * Whom jobs run as (`--job-user`), or the reason no job may start (it becomes the run's
 * LAUNCH_FAILED message). Never root. An agent that is not root cannot switch users, so only
 * its own user is possible (unset --job-user means that user); a root agent needs --job-user.
 */
export function resolveJobUser (name: string | undefined, o: { passwd: string, agentUid: number }): JobUser {
  const users = parsePasswd(o.passwd)
  if (name === undefined) {
    if (o.agentUid === 0) throw new Error('no --job-user is set and the agent runs as root, which never runs jobs: set --job-user to an unprivileged user')
    const self = users.find(u => u.uid === o.agentUid)
    if (self === undefined) throw new Error(`the agent's own uid ${o.agentUid} has no /etc/passwd entry: set --job-user`)
    return self
  }
  const user = users.find(u => u.name === name)
  if (user === undefined) throw new Error(`--job-user ${JSON.stringify(name)} is not a user on this host (/etc/passwd)`)
  if (user.uid === 0) throw new Error(`--job-user ${JSON.stringify(name)} is root (uid 0): the agent never runs jobs as root; name an unprivileged user`)
  if (o.agentUid !== 0 && user.uid !== o.agentUid) {
    throw new Error(`the agent runs as uid ${o.agentUid}, not root, so it can only run jobs as itself, not as --job-user ${JSON.stringify(name)} (uid ${user.uid})`)
  }
  return user
}
