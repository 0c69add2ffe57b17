import { readFileSync } from 'node:fs'
import t from 'tap'
import { parseHelpQuery } from '../../../agent/collector/parse-help-query.ts'
import { parseInvalidField } from '../../../agent/collector/parse-invalid-field.ts'

const help = readFileSync(new URL('../../fixtures/nvidia-smi/help-query-gpu.txt', import.meta.url), 'utf8')

t.test('--help-query-gpu (590.48.01): every name and alias → its canonical name', async t => {
  const names = parseHelpQuery(help)
  t.equal(new Set(names.values()).size, 212, 'all 212 fields of the capture')
  t.equal(names.get('power.draw.instant'), 'power.draw.instant')
  t.equal(names.get('gpu.power.draw.instant'), 'power.draw.instant')
  t.equal(names.get('clocks.sm'), 'clocks.current.sm')
  t.equal(names.get('gpu_name'), 'name')
  t.equal(names.has('0: Default'), false, 'description lines with quotes are not names')
})

t.test('an older, shorter help text', async t => {
  const text = 'List of valid properties to query for the switch "--query-gpu=":\n\n"timestamp"\nThe timestamp of when the query was made in format "YYYY/MM/DD HH:MM:SS.msec".\n\n"power.draw"\nThe last measured power draw.\n'
  t.same([...parseHelpQuery(text).keys()], ['timestamp', 'power.draw'])
})

t.test('the rejected field in a failed query\'s output', async t => {
  t.equal(parseInvalidField('Field "power.draw.instant" is not a valid field to query.\n\n'), 'power.draw.instant')
  t.equal(parseInvalidField('NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver.'), null)
})
