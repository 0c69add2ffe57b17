import { appendFileSync, existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { createXidWatch } from '../../../agent/collector/create-xid-watch.ts'
import { normalizeBusId } from '../../../agent/collector/normalize-bus-id.ts'
import { parseXidLine } from '../../../agent/collector/parse-xid-line.ts'
import { createMemoryLog } from './memory-log.ts'

const BOOT = Date.parse('2026-12-01T00:00:00Z')
const manualTimers = () => {
  const pending: Array<() => void> = []
  return { pending, setTimeout: (fn: () => void) => { pending.push(fn); return fn }, clearTimeout: () => {} }
}

t.test('normalizeBusId: nvidia-smi and kernel spellings meet', async t => {
  t.equal(normalizeBusId('00000000:3B:00.0'), '0000:3b:00')
  t.equal(normalizeBusId('0000:3b:00'), '0000:3b:00')
  t.equal(normalizeBusId('0000:00:1e.0'), '0000:00:1e')
  t.equal(normalizeBusId('3b:00.0'), null)
  t.equal(normalizeBusId('[N/A]'), null)
})

t.test('parseXidLine: kmsg records and dmesg text', async t => {
  t.same(parseXidLine('3,2048,912345678,-;NVRM: Xid (PCI:0000:3b:00): 79, pid=1234, name=python3, GPU has fallen off the bus.'), {
    busId: '0000:3b:00', xid: 79, detail: 'pid=1234, name=python3, GPU has fallen off the bus.', bootUsec: 912345678, seq: 2048,
  })
  t.match(parseXidLine("[ 1399.140323] NVRM: Xid (PCI:0000:01:00): 48, pid='<unknown>', name=<unknown>, An uncorrectable double bit error"),
    { busId: '0000:01:00', xid: 48, bootUsec: null, seq: null })
  t.match(parseXidLine('NVRM: Xid (PCI:0000:00:1e.0): 31'), { busId: '0000:00:1e', xid: 31, detail: '' })
  t.equal(parseXidLine('6,2049,912345679,-;NVRM: GPU at PCI:0000:3b:00: GPU-34d7319c-5b19-1e75-186d-c187099e4fe5'), null)
  t.equal(parseXidLine(' SUBSYSTEM=pci'), null, 'a record\'s dictionary line')
  t.equal(parseXidLine('nvidia-nvswitch0: SXid (PCI:0000:00:00.0): 11001, Fatal'), null, 'NVSwitch SXids are not GPU Xids')
  t.equal(parseXidLine('NVRM: Xid (PCI:zzzz): 79, x'), null)
})

t.test('the watch reads a log as it grows, once per record, per GPU', async t => {
  const dir = t.testdir()
  const path = join(dir, 'kmsg')
  writeFileSync(path, [
    '6,10,1000000,-;usb 1-1: new high-speed USB device',
    '3,11,2000000,-;NVRM: Xid (PCI:0000:18:00): 13, pid=77, name=train, Graphics Exception',
    ' SUBSYSTEM=pci',
    '',
  ].join('\n'))
  const timers = manualTimers()
  const log = createMemoryLog()
  const watch = createXidWatch({ path, intervalMs: 5000, timers, now: () => BOOT + 9e9, bootTimeMs: BOOT, log })
  watch.start()
  t.match(watch.forBusId('00000000:18:00.0'), { count: 1, lastXid: 13, lastAt: BOOT + 2000 })
  t.equal(watch.forBusId('00000000:28:00.0'), null)
  t.same(watch.status(), { path, readable: true, error: null, events: 1 })

  // A half-written record is kept until its end arrives; a record seen twice counts once.
  appendFileSync(path, '3,12,3000000,-;NVRM: Xid (PCI:0000:18:00): 79, pid=0, GPU has fallen off the bus.\n3,11,2000000,-;NVRM: Xid (PCI:0000:18:00): 13, again\n3,13,4000000,-;NVRM: Xid (PCI:00')
  t.equal(timers.pending.length, 1, 'the next poll is scheduled')
  timers.pending.shift()?.()
  const s = watch.forBusId('00000000:18:00.0')
  t.match(s, { count: 2, lastXid: 79, lastAt: BOOT + 3000, lastDetail: 'pid=0, GPU has fallen off the bus.' })
  t.same([...(s?.byXid ?? [])], [[13, 1], [79, 1]])
  appendFileSync(path, '00:28:00): 94, pid=5, Contained ECC error\n')
  watch.poll()
  t.match(watch.forBusId('00000000:28:00.0'), { count: 1, lastXid: 94 })
  t.equal(log.entries.filter(e => e.msg.includes('Xid error')).length, 3, 'each report logged once')
  watch.stop()
})

t.test('an unreadable log is reported, retried, and never fatal', async t => {
  const path = join(t.testdir(), 'missing')
  const log = createMemoryLog()
  const watch = createXidWatch({ path, intervalMs: 5000, timers: manualTimers(), now: () => BOOT, bootTimeMs: BOOT, log })
  watch.start()
  t.same(watch.status(), { path, readable: false, error: `ENOENT: cannot read ${path}`, events: 0 })
  watch.poll()
  t.equal(log.entries.filter(e => e.level === 'warn').length, 1, 'warned once, not every poll')
  writeFileSync(path, 'NVRM: Xid (PCI:0000:18:00): 48, pid=1, DBE\n')
  watch.poll()
  t.match(watch.status(), { readable: true, error: null, events: 1 })
  t.match(watch.forBusId('00000000:18:00.0'), { lastXid: 48, lastAt: BOOT })
  watch.stop()
})

t.test('the real /dev/kmsg: non-blocking reads end at EAGAIN instead of waiting', { skip: existsSync('/dev/kmsg') ? false : 'no /dev/kmsg here' }, async t => {
  const watch = createXidWatch({ path: '/dev/kmsg', intervalMs: 5000, timers: manualTimers(), now: Date.now, bootTimeMs: BOOT, log: createMemoryLog() })
  watch.start()
  const status = watch.status()
  // Readable as root; refused (EPERM/EACCES) elsewhere: either way poll() returned.
  t.ok(status.readable || /^E[A-Z]+: cannot read/.test(status.error ?? ''), JSON.stringify(status))
  watch.stop()
})
