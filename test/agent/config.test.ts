import t from 'tap'
import { AGENT_DEFAULTS, parseAgentConfig } from '../../agent/config.ts'

t.test('defaults, frozen', async t => {
  const config = parseAgentConfig({})
  t.match(config, {
    listen: AGENT_DEFAULTS.listen, controlPlane: AGENT_DEFAULTS.controlPlane, cluster: 'default', nvidiaSmi: AGENT_DEFAULTS.nvidiaSmi,
    intervalMs: 1000, computeAppsIntervalMs: 5000, staleAfterMs: 10_000, spoolMaxBytes: 256 * 1024 * 1024, keyCacheTtlMs: 60_000,
    vllmUrls: [], purgeProcessAllow: [], purgeGraceMs: 10_000, purgeSettleMs: 15_000, logLevel: 'info',
  })
  t.equal(config.apiKey, undefined)
  t.equal(config.region, undefined)
  t.ok(Object.isFrozen(config))
})

t.test('flag strings (CLI and env twins) are coerced; lists split on commas', async t => {
  const config = parseAgentConfig({
    intervalMs: '250', spoolMaxBytes: '65536', keyCacheTtlMs: 0, listen: '[::1]:9410',
    vllmUrls: 'http://127.0.0.1:8000, http://127.0.0.1:8001,', purgeProcessAllow: ['/usr/bin/python3 ', '', 'name:vllm'],
    controlPlane: 'https://cp.example:8443/prefix', logLevel: 'warn', region: 'us-east-1',
  })
  t.match(config, {
    intervalMs: 250, spoolMaxBytes: 65536, keyCacheTtlMs: 0, listen: '[::1]:9410', region: 'us-east-1',
    vllmUrls: ['http://127.0.0.1:8000', 'http://127.0.0.1:8001'], purgeProcessAllow: ['/usr/bin/python3', 'name:vllm'],
  })
})

t.test('every invalid value is named by its flag, all at once; unknown options fail', async t => {
  t.throws(() => parseAgentConfig({
    intervalMs: 'soon', staleAfterMs: '999', listen: '9410', controlPlane: 'ftp://x', vllmUrls: 'http://ok:1,nope',
    breakGlassKeySha256: 'ABC', metricsToken: 'short', logLevel: 'loud', cluster: '', intervalMS: 5,
  } as never), {
    code: 'CONFIG_INVALID',
    message: new RegExp([
      '--interval-ms: expected an integer, got "soon"',
      '--stale-after-ms: must be from 1000 to 600000, got 999',
      '--listen: expected HOST:PORT',
      '--control-plane: expected an http:// or https:// URL, got "ftp://x"',
      '--vll?m-urls: expected an http:// or https:// URL, got "nope"',
      '--break-glass-key-sha256: expected a lowercase hex SHA-256',
      '--metrics-token: must be at least 16 characters',
      '--log-level: expected one of fatal\\|error',
      '--cluster: must not be empty',
      '--interval-m-s: unknown option',
    ].map(s => `(?=[\\s\\S]*${s})`).join('')),
  })
  t.throws(() => parseAgentConfig({ intervalMs: 1.5 }), /--interval-ms: expected an integer/)
  t.throws(() => parseAgentConfig({ intervalMs: '' }), /--interval-ms/)
  t.throws(() => parseAgentConfig({ purgeProcessAllow: 5 }), /--purge-process-allow: expected a comma-separated list/)
})

t.test('TLS, control-plane CA and advertise URL options (issue 12): paths kept, pairs and schemes checked', async t => {
  const config = parseAgentConfig({
    tlsCert: '/etc/gpufleet/agent.pem', tlsKey: '/etc/gpufleet/agent.key', controlPlaneCa: '/etc/gpufleet/ca.pem',
    controlPlane: 'https://cp.example:8443', advertiseUrl: 'https://gpu-7.example:9410',
  })
  t.match(config, { tlsCert: '/etc/gpufleet/agent.pem', tlsKey: '/etc/gpufleet/agent.key', controlPlaneCa: '/etc/gpufleet/ca.pem', advertiseUrl: 'https://gpu-7.example:9410' })
  t.equal(parseAgentConfig({}).tlsCert, undefined, 'plain HTTP by default')
  t.throws(() => parseAgentConfig({ tlsCert: '/etc/gpufleet/agent.pem' }), { code: 'CONFIG_INVALID', message: /--tls-cert and --tls-key: give both or neither \(got only --tls-cert\)/ })
  t.throws(() => parseAgentConfig({ tlsKey: '/k' }), /got only --tls-key/)
  t.throws(() => parseAgentConfig({ tlsCert: '', tlsKey: '/k' }), /--tls-cert: must not be empty/)
  t.throws(() => parseAgentConfig({ controlPlaneCa: '/ca.pem', controlPlane: 'http://cp.example:8080' }), /--control-plane-ca: applies to an https:\/\/ --control-plane only/)
  t.throws(() => parseAgentConfig({ advertiseUrl: 'gpu-7:9410' }), /--advertise-url: expected an http:\/\/ or https:\/\/ URL/)
})

t.test('job flags: a user name, a grace as a duration, a log bound in bytes, --no-jobs', async t => {
  t.match(parseAgentConfig({}), { jobKillGrace: 30_000, jobLogMax: 64 * 1024 * 1024, jobs: true })
  t.equal(parseAgentConfig({}).jobUser, undefined)
  t.match(parseAgentConfig({ jobUser: 'gpujobs', jobKillGrace: '2m', jobLogMax: '8MiB', jobs: false }), { jobUser: 'gpujobs', jobKillGrace: 120_000, jobLogMax: 8 * 1024 * 1024, jobs: false })
  t.match(parseAgentConfig({ jobLogMax: '70000', jobs: 'true' }), { jobLogMax: 70_000, jobs: true })
  t.throws(() => parseAgentConfig({ jobUser: 'bad user', jobKillGrace: '30', jobLogMax: '10', jobs: 'maybe' }), {
    code: 'CONFIG_INVALID',
    message: /--job-user: expected a user name[\s\S]*--job-kill-grace: expected a duration such as 30s[\s\S]*--job-log-max: must be from 65536[\s\S]*--jobs: expected true or false/,
  })
})
