import t from 'tap'
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '../..')
const units = ['gpufleet-agent.service', 'gpufleet-control-plane.service']
const haveAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0
// CI installs systemd via test/setup/install-system-deps.sh: there a missing tool is a failure, not a skip.
const skip = haveAnalyze || process.env.CI === 'true' ? false : 'systemd-analyze not installed'

for (const unit of units) {
  t.test(`${unit} passes systemd-analyze verify`, { skip }, t => {
    // verify checks that ExecStart exists, so point /opt/gpufleet at this checkout.
    const dir = t.testdir()
    const text = readFileSync(join(root, 'systemd', unit), 'utf8').replaceAll('/opt/gpufleet', root)
    writeFileSync(join(dir, unit), text)
    const out = spawnSync('systemd-analyze', ['verify', '--man=no', join(dir, unit)], { encoding: 'utf8' })
    const complaints = `${out.stdout}${out.stderr}`.split('\n').filter(l => l.includes(unit))
    t.same(complaints, [], 'no complaints about the unit')
    t.equal(out.status, 0, 'exit 0')
    t.end()
  })
}

t.test('agent unit: hardening, state dir, env file, CAP_KILL only as opt-in', t => {
  const text = readFileSync(join(root, 'systemd/gpufleet-agent.service'), 'utf8')
  const active = text.split('\n').filter(l => !l.startsWith('#'))
  for (const line of ['EnvironmentFile=-/etc/gpufleet/agent.env', 'StateDirectory=gpufleet-agent', 'Restart=always',
    'NoNewPrivileges=yes', 'ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes', 'User=gpufleet']) {
    t.ok(active.includes(line), line)
  }
  t.notOk(active.some(l => l.includes('CAP_KILL')), 'CAP_KILL not granted by default')
  // The memory flags bench/agent-overhead.ts measures (it reads them from this line).
  t.match(active.find(l => l.startsWith('ExecStart=')), /\/node --max-semi-space-size=1 --no-opt --no-maglev --optimize-for-size \S+\/bin\/gpufleet agent$/)
  t.ok(text.includes('#AmbientCapabilities=CAP_KILL'), 'CAP_KILL documented as an opt-in')
  t.end()
})

