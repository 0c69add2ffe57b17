import t from 'tap'
import { pickNode } from '../../bin/ops/resolve-node-id.ts'

const nodes = [{ id: 1, hostname: 'gpu-a' }, { id: 2, hostname: 'gpu-b' }, { id: 3, hostname: '1' }]

t.test('a hostname or an id names one node', async t => {
  t.equal(pickNode(nodes, 'gpu-b'), 2)
  t.equal(pickNode(nodes, '2'), 2)
  t.equal(pickNode([{ id: 7, hostname: '42' }], '42'), 7, 'a hostname of digits that is no node\'s id')
})

t.test('digits that are one node\'s id and another\'s hostname: refused, naming both and how to say each', async t => {
  t.throws(() => pickNode(nodes, '1'), {
    name: 'CliError',
    exitCode: 2,
    message: '"1" is ambiguous: it is node 1\'s id and node 3\'s hostname; name node 1 by its hostname "gpu-a", or node 3 by its id 3',
  })
  t.equal(pickNode([{ id: 5, hostname: '5' }], '5'), 5, 'the same node both ways is no ambiguity')
})

t.test('nothing by that name: exit 3, naming what was looked for', async t => {
  t.throws(() => pickNode(nodes, 'gpu-z'), { exitCode: 3, message: 'no node with hostname "gpu-z" is registered with the control plane (gpufleet nodes lists them)' })
  t.throws(() => pickNode(nodes, '99'), { exitCode: 3, message: /^no node with id or hostname "99" is registered/ })
  t.throws(() => pickNode([], 'gpu-a'), { exitCode: 3, message: /"gpu-a"/ }, 'no nodes at all')
  t.throws(() => pickNode(nodes, 'GPU-A'), { exitCode: 3, message: /"GPU-A"/ }, 'hostnames match exactly, as gpu --node HOSTNAME does')
})
