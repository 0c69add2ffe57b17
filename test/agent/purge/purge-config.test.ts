import t from 'tap'
import { parseAgentConfig } from '../../../agent/config.ts'

// The purge's agent options (agent/config.ts), validated at start with messages naming the flag.

t.test('--vllm-api-key and --vllm-sleep-level: defaults, strings from the CLI or env twin', async t => {
  const none = parseAgentConfig({})
  t.equal(none.vllmApiKey, undefined)
  t.equal(none.vllmSleepLevel, 1)
  const set = parseAgentConfig({ vllmUrls: 'http://127.0.0.1:8000', vllmApiKey: 'sk-abc_123.XYZ', vllmSleepLevel: '2' })
  t.equal(set.vllmApiKey, 'sk-abc_123.XYZ')
  t.equal(set.vllmSleepLevel, 2)
  t.equal(parseAgentConfig({ vllmUrls: 'http://127.0.0.1:8000', vllmSleepLevel: 1 }).vllmSleepLevel, 1)
})

t.test('bad values name their flag', async t => {
  const urls = 'http://127.0.0.1:8000'
  for (const level of ['0', '3', '1.5', '0x2', 'deep', '']) {
    const err = (() => { try { parseAgentConfig({ vllmUrls: urls, vllmSleepLevel: level }) } catch (e) { return e as Error & { code?: string } } })()
    t.equal(err?.code, 'CONFIG_INVALID')
    t.match(err?.message, `--vllm-sleep-level: expected 1 or 2 (vLLM's sleep level), got ${JSON.stringify(level)}`, level)
  }
  t.throws(() => parseAgentConfig({ vllmUrls: urls, vllmApiKey: '' }), /--vllm-api-key: must not be empty/)
  t.throws(() => parseAgentConfig({ vllmUrls: urls, vllmApiKey: 'two words' }), /--vllm-api-key: must be printable ASCII without spaces/)
  t.throws(() => parseAgentConfig({ vllmUrls: urls, vllmApiKey: 'sk-x\r\nX-Evil: 1' }), /--vllm-api-key: must be printable ASCII without spaces/)
})

t.test('a vLLM option without --vllm-urls is a mistake, named at start', async t => {
  t.throws(() => parseAgentConfig({ vllmApiKey: 'sk-abc' }), /--vllm-api-key: has no effect without --vllm-urls/)
  t.throws(() => parseAgentConfig({ vllmSleepLevel: '2' }), /--vllm-sleep-level: has no effect without --vllm-urls/)
})

t.test('--purge-process-allow: absolute paths or name:<file>; a bare name fails at start', async t => {
  t.same(parseAgentConfig({ purgeProcessAllow: '/opt/conda/bin/python3.11, name:gpu_burn,' }).purgeProcessAllow, ['/opt/conda/bin/python3.11', 'name:gpu_burn'])
  t.throws(() => parseAgentConfig({ purgeProcessAllow: '/usr/bin/python3,python' }), {
    code: 'CONFIG_INVALID',
    message: /--purge-process-allow: "python" is not an absolute path: write the executable's full path \(e\.g\. \/usr\/bin\/python\), or name:python to allow any executable named python/,
  })
  t.throws(() => parseAgentConfig({ purgeProcessAllow: '/usr/bin/../bin/python' }), /--purge-process-allow: "\/usr\/bin\/\.\.\/bin\/python" is not a plain absolute path/)
})
