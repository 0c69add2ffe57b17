import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { readCaFile, readTlsFiles } from '../../shared/read-tls-files.ts'
import { makeTestCerts, skipWithoutOpenssl } from '../helpers/test-certs.ts'

t.test('readTlsFiles: a matching PEM pair is read; every problem is named by its flag', { skip: skipWithoutOpenssl }, async t => {
  const c = makeTestCerts(t.testdir())
  const ok = readTlsFiles({ cert: c.certPath, key: c.keyPath })
  t.match(ok.cert.toString(), /BEGIN CERTIFICATE/)
  t.match(ok.key.toString(), /PRIVATE KEY/)

  const missing = join(c.dir, 'nope.pem')
  t.throws(() => readTlsFiles({ cert: missing, key: c.keyPath }), { message: new RegExp(`--tls-cert: cannot read ${missing} \\(ENOENT\\)`) })
  t.throws(() => readTlsFiles({ cert: missing, key: missing }), { message: /--tls-cert: cannot read[\s\S]*--tls-key: cannot read/ }, 'both at once')
  t.throws(() => readTlsFiles({ cert: c.keyPath, key: c.keyPath }), { message: /--tls-cert: .* does not hold a PEM certificate/ }, 'a key given as the certificate')
  t.throws(() => readTlsFiles({ cert: c.certPath, key: c.certPath }), { message: /--tls-key: .* does not hold a PEM private key/ })
  t.throws(() => readTlsFiles({ cert: c.certPath, key: c.otherKeyPath }), { message: /--tls-cert\/--tls-key: .* do not make a usable pair/ }, 'a key that is not the certificate\'s')
  t.throws(() => readTlsFiles({ cert: c.dir, key: c.keyPath }), { message: /--tls-cert: cannot read .* \(EISDIR\)/ })
  const encrypted = join(c.dir, 'enc.key')
  writeFileSync(encrypted, '-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n')
  t.throws(() => readTlsFiles({ cert: c.certPath, key: encrypted }), { message: /--tls-key: .* is encrypted/ })

  t.match(readCaFile(c.caPath, '--ca-file').toString(), /BEGIN CERTIFICATE/)
  t.throws(() => readCaFile(missing, '--control-plane-ca'), { message: /--control-plane-ca: cannot read .* \(ENOENT\)/ })
  t.throws(() => readCaFile(c.keyPath, '--ca-file'), { message: /--ca-file: .* does not hold PEM certificates/ })
})
