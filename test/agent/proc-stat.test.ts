import t from 'tap'
import { parseProcStat } from '../../agent/proc-stat.ts'

t.test('comm, state and starttime (field 22), counted from the last ")"', async t => {
  // A real line (cat /proc/self/stat) and a comm with a space and parentheses.
  t.same(parseProcStat('16199 (cat) R 16195 16195 4639 0 -1 4194304 98 0 0 0 0 0 0 0 20 0 1 0 41654 3133440 409 18446744073709551615 94279046586368\n'),
    { pid: 16199, comm: 'cat', state: 'R', ppid: 16195, pgrp: 16195, session: 4639, startTime: '41654' })
  t.same(parseProcStat('4242 (py (x) y) S 1 4242 4242 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 987654321 1000 100'), { pid: 4242, comm: 'py (x) y', state: 'S', ppid: 1, pgrp: 4242, session: 4242, startTime: '987654321' })
  t.same(parseProcStat('7 (a) b) Z 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0'), { pid: 7, comm: 'a) b', state: 'Z', ppid: 1, pgrp: 7, session: 7, startTime: '5' })
})

t.test('anything else is null, not a guess', async t => {
  for (const text of ['', 'garbage', '12 (x) R 1 2 3', '12 x) R 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5', '12 (x) 7 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5', '12 (x) R 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 -5']) {
    t.equal(parseProcStat(text), null, JSON.stringify(text))
  }
})
