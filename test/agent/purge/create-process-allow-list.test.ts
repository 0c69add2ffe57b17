import { symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { createProcessAllowList } from '../../../agent/purge/create-process-allow-list.ts'

t.test('a path entry: the file itself, or what a symlink entry points to (resolved at each check)', async t => {
  const dir = t.testdir({ 'python3.11': 'binary' })
  const link = join(dir, 'python3')
  symlinkSync(join(dir, 'python3.11'), link)
  const allow = createProcessAllowList([link, '/opt/train/bin/trainer'])
  t.equal(allow.size, 2)
  t.ok(allow.allows(join(dir, 'python3.11')), 'the link\'s target')
  t.ok(allow.allows('/opt/train/bin/trainer'), 'a path that does not exist here matches literally')
  t.ok(allow.allows(`${join(dir, 'python3.11')} (deleted)`), 'replaced on disk since the process started (an upgrade)')
  t.notOk(allow.allows('/usr/bin/python3.11'))
  t.notOk(allow.allows('/home/eve/opt/train/bin/trainer'))
  // The link moves (an upgrade): the next check follows it.
  writeFileSync(join(dir, 'python3.12'), 'binary')
  const moved = join(dir, 'python3-new')
  symlinkSync(join(dir, 'python3.12'), moved)
  const later = createProcessAllowList([moved])
  t.ok(later.allows(join(dir, 'python3.12')))
  t.notOk(later.allows(join(dir, 'python3.11')))
})

t.test('name: matches the executable\'s file name anywhere, and only that', async t => {
  const allow = createProcessAllowList(['name:python3.11'], path => path)
  t.ok(allow.allows('/usr/bin/python3.11'))
  t.ok(allow.allows('/opt/conda/envs/x/bin/python3.11'))
  t.notOk(allow.allows('/usr/bin/python3.12'))
})

t.test('mayName: nvidia-smi\'s argv[0] name against the entries, for reporting only', async t => {
  const allow = createProcessAllowList(['/usr/bin/python3.11', 'name:gpu_burn'], path => path)
  t.ok(allow.mayName('/usr/bin/python3.11'))
  t.ok(allow.mayName('python3.11'))
  t.ok(allow.mayName('./gpu_burn'))
  t.notOk(allow.mayName('python'))
  t.notOk(allow.mayName('trainer'))
  const long = createProcessAllowList(['/opt/x/bin/inference-server-v2'], path => path)
  t.ok(long.mayName('inference-serve'), 'stat\'s comm: the file name cut to 15 bytes')
  t.notOk(long.mayName('inference'))
})

t.test('invalid entries throw (the config check uses the same parser)', async t => {
  t.throws(() => createProcessAllowList(['python']), /"python" is not an absolute path/)
})
