import t from 'tap'
import { CONTROL_PLANE_DEFAULTS, parseControlPlaneConfig } from '../../control-plane/config.ts'

t.test('defaults', async t => {
  const c = parseControlPlaneConfig()
  t.match(c, { listen: '127.0.0.1:8080', host: '127.0.0.1', port: 8080, db: './data/gpufleet.db', demo: false, logLevel: 'info', bodyLimitBytes: 1024 * 1024 })
  t.equal(c.adminKey, undefined)
  t.ok(Object.isFrozen(c))
  t.equal(CONTROL_PLANE_DEFAULTS.demo, false, 'demo mode is off unless asked for')
})

t.test('values from flags or env strings', async t => {
  const c = parseControlPlaneConfig({ listen: '[::1]:0', db: '/var/lib/gpufleet/cp.db', demo: 'true', bodyLimitBytes: '2048', adminKey: `gfk_${'a'.repeat(32)}` })
  t.match(c, { host: '::1', port: 0, db: '/var/lib/gpufleet/cp.db', demo: true, bodyLimitBytes: 2048 })
  t.equal(parseControlPlaneConfig({ demo: '0' }).demo, false)
  t.equal(parseControlPlaneConfig({ listen: '0.0.0.0:9000' }).host, '0.0.0.0')
})

t.test('errors name the flag or variable', async t => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ listen: '127.0.0.1' }, /--listen \(GPUFLEET_LISTEN\): expected HOST:PORT/],
    [{ listen: '127.0.0.1:70000' }, /--listen/],
    [{ db: 'postgres:///gpufleet' }, /--db \(GPUFLEET_DB\): expected postgres:\/\/user/],
    [{ db: 'postgresql://u:p@db:99999/gpufleet' }, /--db/],
    [{ db: '' }, /--db/],
    [{ adminKey: 'hunter2' }, /GPUFLEET_ADMIN_KEY: expected gfk_/],
    [{ demo: 'yes' }, /--demo/],
    [{ logLevel: 'loud' }, /--log-level/],
    [{ bodyLimitBytes: 10 }, /--body-limit-bytes/],
    [{ bodyLimitBytes: 'lots' }, /--body-limit-bytes/],
    [{ authFailuresPerMinute: 0 }, /--auth-failures-per-minute/],
    [{ lisen: '1' }, /unknown option.*lisen/],
  ]
  for (const [input, pattern] of cases) {
    t.throws(() => parseControlPlaneConfig(input as never), { code: 'CONFIG_INVALID', message: pattern }, JSON.stringify(input))
  }
  t.throws(() => parseControlPlaneConfig({ adminKey: 'hunter2-secret' }), { message: /^((?!hunter2-secret).)*$/s }, 'the admin key is never echoed')
})

t.test('--tls-cert/--tls-key and --alert-webhook-allow-private (issue 12)', async t => {
  const c = parseControlPlaneConfig({ tlsCert: '/etc/gpufleet/cp.pem', tlsKey: '/etc/gpufleet/cp.key', alertWebhookAllowPrivate: 'true' })
  t.match(c, { tlsCert: '/etc/gpufleet/cp.pem', tlsKey: '/etc/gpufleet/cp.key', alertWebhookAllowPrivate: true })
  const d = parseControlPlaneConfig()
  t.equal(d.tlsCert, undefined, 'plain HTTP by default')
  t.equal(d.alertWebhookAllowPrivate, false, 'private webhook targets refused by default')
  t.throws(() => parseControlPlaneConfig({ tlsCert: '/c.pem' }), { code: 'CONFIG_INVALID', message: /--tls-key \(GPUFLEET_TLS_KEY\): give both --tls-cert and --tls-key, or neither/ })
  t.throws(() => parseControlPlaneConfig({ tlsKey: '/c.key' }), /--tls-cert \(GPUFLEET_TLS_CERT\): give both/)
  t.throws(() => parseControlPlaneConfig({ tlsCert: '', tlsKey: '/k' }), /--tls-cert \(GPUFLEET_TLS_CERT\)/)
  t.throws(() => parseControlPlaneConfig({ alertWebhookAllowPrivate: 'sure' } as never), /--alert-webhook-allow-private \(GPUFLEET_ALERT_WEBHOOK_ALLOW_PRIVATE\)/)
})

t.test('--node-fail-grace: a duration, 2m by default', async t => {
  t.equal(parseControlPlaneConfig().nodeFailGraceMs, 120_000)
  t.match(parseControlPlaneConfig({ nodeFailGrace: '30s' }), { nodeFailGrace: '30s', nodeFailGraceMs: 30_000 })
  t.equal(parseControlPlaneConfig({ nodeFailGrace: '0s' }).nodeFailGraceMs, 0)
  for (const bad of ['2', 'soon', '-1m', '8d']) {
    t.throws(() => parseControlPlaneConfig({ nodeFailGrace: bad }), { code: 'CONFIG_INVALID', message: /--node-fail-grace \(GPUFLEET_NODE_FAIL_GRACE\)/ }, bad)
  }
})

t.test('--job-log-retain: a size, 8MiB by default', async t => {
  t.equal(parseControlPlaneConfig().jobLogRetainBytes, 8 * 1024 * 1024)
  t.equal(parseControlPlaneConfig({ jobLogRetain: '512KiB' }).jobLogRetainBytes, 512 * 1024)
  t.equal(parseControlPlaneConfig({ jobLogRetain: '64MiB' }).jobLogRetainBytes, 64 * 1024 ** 2)
  t.equal(parseControlPlaneConfig({ jobLogRetain: '1048576' }).jobLogRetainBytes, 1048576)
  t.equal(parseControlPlaneConfig({ jobLogRetain: 300_000 }).jobLogRetainBytes, 300_000)
  for (const bad of ['8MB', 'lots', '1KiB', '65MiB', '1GiB', '-1']) {
    t.throws(() => parseControlPlaneConfig({ jobLogRetain: bad }), { code: 'CONFIG_INVALID', message: /--job-log-retain \(GPUFLEET_JOB_LOG_RETAIN\)/ }, bad)
  }
})

t.test('--slurm-*: interval 5m by default or off; a REST URL needs GPUFLEET_SLURM_TOKEN; bad values name the flag, never echo secrets (issue 16)', async t => {
  const d = parseControlPlaneConfig()
  t.match(d, { slurmInterval: '5m', slurmIntervalMs: 300_000, slurmSacct: 'sacct', slurmRestApi: 'v0.0.38' })
  t.equal(d.slurmRestUrl, undefined)
  t.equal(parseControlPlaneConfig({ slurmInterval: 'off' }).slurmIntervalMs, null)
  t.equal(parseControlPlaneConfig({ slurmInterval: '30s' }).slurmIntervalMs, 30_000)
  t.match(parseControlPlaneConfig({ slurmRestUrl: 'http://slurm-head:6820', slurmToken: 'a.b.c', slurmRestUser: 'gpufleet' }),
    { slurmRestUrl: 'http://slurm-head:6820', slurmToken: 'a.b.c', slurmRestUser: 'gpufleet' })
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ slurmInterval: '5s' }, /--slurm-interval \(GPUFLEET_SLURM_INTERVAL\)/],
    [{ slurmInterval: '2d' }, /--slurm-interval/],
    [{ slurmInterval: 'never' }, /--slurm-interval/],
    [{ slurmRestUrl: 'http://slurm-head:6820' }, /GPUFLEET_SLURM_TOKEN: required with --slurm-rest-url/],
    [{ slurmRestUrl: 'ftp://slurm-head', slurmToken: 'x' }, /--slurm-rest-url \(GPUFLEET_SLURM_REST_URL\)/],
    [{ slurmRestUrl: 'slurm-head:6820', slurmToken: 'x' }, /--slurm-rest-url/],
    [{ slurmRestUser: 'bad user' }, /--slurm-rest-user/],
    [{ slurmRestApi: '0.0.38' }, /--slurm-rest-api/],
    [{ slurmSacct: '' }, /--slurm-sacct/],
    [{ slurmToken: 'has space' }, /GPUFLEET_SLURM_TOKEN/],
  ]
  for (const [input, pattern] of cases) {
    t.throws(() => parseControlPlaneConfig(input as never), { code: 'CONFIG_INVALID', message: pattern }, JSON.stringify(input))
  }
  t.throws(() => parseControlPlaneConfig({ slurmToken: 'secret jwt' }), { message: /^((?!secret jwt).)*$/s }, 'the token is never echoed')
  t.throws(() => parseControlPlaneConfig({ slurmRestUrl: 'ftp://u:pw-secret@h', slurmToken: 'x' }), { message: /^((?!pw-secret).)*$/s }, 'nor a URL')
})

t.test('--telemetry-compact-after: a duration from 0s to 7d, 70m by default', async t => {
  t.equal(parseControlPlaneConfig().telemetryCompactAfterMs, 70 * 60_000)
  t.equal(parseControlPlaneConfig({ telemetryCompactAfter: '0s' }).telemetryCompactAfterMs, 0)
  t.equal(parseControlPlaneConfig({ telemetryCompactAfter: '2h' }).telemetryCompactAfterMs, 7_200_000)
  for (const bad of ['8d', 'soon', '-1m', '']) {
    t.throws(() => parseControlPlaneConfig({ telemetryCompactAfter: bad }),
      { code: 'CONFIG_INVALID', message: /--telemetry-compact-after \(GPUFLEET_TELEMETRY_COMPACT_AFTER\)/ }, bad)
  }
})
