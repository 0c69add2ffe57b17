import t from 'tap'
import { tailLines } from '../../../control-plane/scheduling/tail-lines.ts'

const tail = (s: string, n: number) => tailLines(Buffer.from(s), n).toString()

t.test('the last n lines, as tail -n counts them', async t => {
  t.equal(tail('a\nb\nc\n', 1), 'c\n')
  t.equal(tail('a\nb\nc\n', 2), 'b\nc\n')
  t.equal(tail('a\nb\nc', 1), 'c', 'an unfinished last line is a line')
  t.equal(tail('a\nb\nc', 2), 'b\nc')
  t.equal(tail('a\nb\nc\n', 3), 'a\nb\nc\n')
  t.equal(tail('a\nb\nc\n', 10), 'a\nb\nc\n', 'fewer lines than asked: all')
  t.equal(tail('', 5), '')
  t.equal(tail('\n\n\n', 2), '\n\n', 'empty lines count')
  t.equal(tail('x\r\ny\r\n', 1), 'y\r\n', 'CRLF kept as is')
  t.same([...tailLines(Buffer.from([0xff, 0x0a, 0x00, 0x0a]), 1)], [0x00, 0x0a], 'bytes, not text')
})
