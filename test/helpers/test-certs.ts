import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface TestCerts {
  dir: string
  /** The throwaway CA's certificate: what clients trust (--control-plane-ca, --ca-file). */
  caPath: string
  ca: Buffer
  /** A server certificate for localhost, 127.0.0.1 and ::1 signed by the CA, and its key. */
  certPath: string
  keyPath: string
  /** A CA that signed nothing here: trusting it must not make the server trusted. */
  otherCaPath: string
  /** A key that is not the certificate's (a mismatched pair). */
  otherKeyPath: string
}

/** Whether the openssl CLI is here (CI installs it: test/setup/install-system-deps.sh). */
export const haveOpenssl = spawnSync('openssl', ['version']).status === 0
/** For t.test's skip: a missing openssl skips locally and fails in CI, like systemd-analyze. */
export const skipWithoutOpenssl = haveOpenssl || process.env.CI === 'true' ? false : 'openssl not installed'

/**
 * Throwaway certificates made by the openssl CLI for one test (EC P-256: fast to make), valid
 * for two days, never committed: a CA, a server certificate for the loopback names it signs,
 * and an unrelated CA and key for the failure cases.
 */
export function makeTestCerts (dir: string): TestCerts {
  mkdirSync(dir, { recursive: true })
  const p = (name: string): string => join(dir, name)
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  const ca = ['-days', '2', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']
  openssl(['req', '-x509', ...ec, '-keyout', p('ca.key'), '-out', p('ca.pem'), '-subj', '/CN=gpufleet test CA', ...ca])
  openssl(['req', '-x509', ...ec, '-keyout', p('other-ca.key'), '-out', p('other-ca.pem'), '-subj', '/CN=gpufleet other CA', ...ca])
  openssl(['req', ...ec, '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', '/CN=localhost'])
  writeFileSync(p('server.ext'), [
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth',
    'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
  ].join('\n'))
  openssl(['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', p('server.ext'), '-out', p('server.pem')])
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', p('other.key')])
  return {
    dir,
    caPath: p('ca.pem'),
    ca: readFileSync(p('ca.pem')),
    certPath: p('server.pem'),
    keyPath: p('server.key'),
    otherCaPath: p('other-ca.pem'),
    otherKeyPath: p('other.key'),
  }
}

function openssl (args: string[]): void {
  const out = spawnSync('openssl', args, { encoding: 'utf8' })
  if (out.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${out.stderr}`)
}
