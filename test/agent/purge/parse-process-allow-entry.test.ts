import t from 'tap'
import { parseProcessAllowEntry } from '../../../agent/purge/parse-process-allow-entry.ts'

t.test('absolute paths and name: entries', async t => {
  t.same(parseProcessAllowEntry('/opt/conda/bin/python3.11'), { kind: 'path', path: '/opt/conda/bin/python3.11' })
  t.same(parseProcessAllowEntry('name:python3'), { kind: 'name', name: 'python3' })
  t.same(parseProcessAllowEntry('name:gpu burn'), { kind: 'name', name: 'gpu burn' })
})

t.test('a bare name is refused with both ways to write it', async t => {
  t.throws(() => parseProcessAllowEntry('python'), { message: '"python" is not an absolute path: write the executable\'s full path (e.g. /usr/bin/python), or name:python to allow any executable named python' })
  t.throws(() => parseProcessAllowEntry('./gpu_burn'), /is not an absolute path/)
  t.throws(() => parseProcessAllowEntry('bin/python'), /is not an absolute path/)
})

t.test('paths that would not name one file, and bad names', async t => {
  for (const bad of ['/', '/usr/bin/', '/usr//bin/python', '/usr/bin/../bin/python', '/usr/./bin/python', '/usr/bin/py\nthon']) {
    t.throws(() => parseProcessAllowEntry(bad), /is not a plain absolute path to a file: write it without \., \.\., \/\/ or a trailing \//, JSON.stringify(bad))
  }
  for (const bad of ['name:', 'name:/usr/bin/python', 'name:..', 'name:a/b', 'name:x\ty']) {
    t.throws(() => parseProcessAllowEntry(bad), /name: takes an executable's file name, without any \//, bad)
  }
})
