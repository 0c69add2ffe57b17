import t from 'tap'
import { openSqliteDb } from '../../../control-plane/store/sqlite/sqlite-db.ts'
import { sqliteSqlDb } from '../../../control-plane/store/sqlite/sqlite-sql-db.ts'

// node:sqlite is one synchronous connection: an async transaction's awaits let other handlers
// run, and whatever they execute would land inside that transaction.
const open = () => {
  const raw = openSqliteDb(':memory:')
  raw.raw.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)')
  return { raw, db: sqliteSqlDb(raw) }
}
const bodies = async (db: ReturnType<typeof open>['db']) => (await db.all<{ body: string }>('SELECT body FROM notes ORDER BY id')).map(r => r.body)

t.test('a statement issued while an async transaction is open is not rolled back with it', async t => {
  const { raw, db } = open()
  let inside!: () => void
  const entered = new Promise<void>(resolve => { inside = resolve })
  const failing = db.tx(null, async q => {
    await q.run('INSERT INTO notes (body) VALUES (?)', 'in tx')
    inside()
    await new Promise(resolve => setImmediate(resolve))
    throw new Error('boom')
  })
  await entered
  const outside = db.run('INSERT INTO notes (body) VALUES (?)', 'outside')
  await t.rejects(failing, /boom/)
  t.equal(await outside, 1)
  t.same(await bodies(db), ['outside'])
  raw.close()
})

t.test('two async transactions run one after the other', async t => {
  const { raw, db } = open()
  const order: string[] = []
  const step = (name: string) => db.tx(null, async q => {
    order.push(`${name} begin`)
    await new Promise(resolve => setImmediate(resolve))
    await q.run('INSERT INTO notes (body) VALUES (?)', name)
    order.push(`${name} end`)
  })
  await Promise.all([step('a'), step('b')])
  t.same(order, ['a begin', 'a end', 'b begin', 'b end'])
  t.same(await bodies(db), ['a', 'b'])
  raw.close()
})

t.test('a sync transaction waits through serial(), and refuses to join an open async one', async t => {
  const { raw, db } = open()
  let inside!: () => void
  const entered = new Promise<void>(resolve => { inside = resolve })
  let release!: () => void
  const held = new Promise<void>(resolve => { release = resolve })
  const tx = db.tx(null, async q => {
    await q.run('INSERT INTO notes (body) VALUES (?)', 'async')
    inside()
    await held
    throw new Error('rolled back')
  })
  await entered
  t.throws(() => raw.tx(() => raw.stmt('INSERT INTO notes (body) VALUES (?)').run('joined')), /serial/)
  const later = raw.serial(() => raw.tx(() => Number(raw.stmt('INSERT INTO notes (body) VALUES (?)').run('sync').changes)))
  release()
  await t.rejects(tx, /rolled back/)
  t.equal(await later, 1)
  t.same(await bodies(db), ['sync'])
  raw.close()
})

t.test('binds booleans, lists and undefined the way PostgreSQL does', async t => {
  const { raw, db } = open()
  await db.run('INSERT INTO notes (body) VALUES (?), (?), (?)', 'x', 'y', 'z')
  t.same((await db.all(`SELECT body FROM notes WHERE ${db.dialect.inList('body', 'text')} ORDER BY id`, ['x', 'z'])).map(r => r.body), ['x', 'z'])
  t.same(await db.one('SELECT CAST(? AS INTEGER) AS yes, ? AS absent', true, undefined), { yes: 1, absent: null })
  raw.close()
})

t.test('runEach runs one statement per argument list and reports each row count; a failed transaction takes the batch back', async t => {
  const { raw, db } = open()
  t.same(await db.runEach('INSERT INTO notes (id, body) VALUES (?, ?) ON CONFLICT (id) DO NOTHING', [[1, 'a'], [1, 'dup'], [2, 'b']]), [1, 0, 1])
  t.same(await db.runEach('DELETE FROM notes WHERE id = ?', []), [])
  await t.rejects(db.tx(null, async q => {
    await q.runEach('INSERT INTO notes (id, body) VALUES (?, ?)', [[3, 'c'], [4, 'd']])
    throw new Error('boom')
  }), /boom/)
  t.same(await bodies(db), ['a', 'b'])
  raw.close()
})
