import { readFileSync } from 'node:fs'

/** A server's certificate chain and private key, as PEM read from `--tls-cert` / `--tls-key`. */
export interface TlsFiles {
  cert: Buffer
  key: Buffer
}

/**
 * Reads `--tls-cert` and `--tls-key` at start-up and checks them the way the TLS server will
 * use them: both readable, PEM of the right kind, and the key belonging to the certificate
 * (node:tls's own createSecureContext judges that, so a mismatch fails here, naming the flags,
 * not at the first handshake). Throws an Error whose message lists every problem by flag;
 * the caller wraps it in its package's CONFIG_INVALID. node:tls is loaded only when TLS is
 * configured (the agent's memory budget).
 */
export function readTlsFiles (paths: { cert: string, key: string }): TlsFiles {
  const problems: string[] = []
  const cert = readPem(paths.cert, '--tls-cert', /-----BEGIN CERTIFICATE-----/, 'a PEM certificate (-----BEGIN CERTIFICATE-----)', problems)
  const key = readPem(paths.key, '--tls-key', /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/, 'a PEM private key (-----BEGIN PRIVATE KEY-----)', problems)
  if (cert !== undefined && key !== undefined) {
    if (/-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(key.toString('latin1'))) {
      problems.push(`--tls-key: ${paths.key} is encrypted; give an unencrypted key (readable by the service user only)`)
    } else {
      try {
        const tls = process.getBuiltinModule('node:tls') as typeof import('node:tls')
        tls.createSecureContext({ cert, key })
      } catch (err) {
        problems.push(`--tls-cert/--tls-key: ${paths.cert} and ${paths.key} do not make a usable pair: ${(err as Error).message}`)
      }
    }
  }
  if (problems.length > 0) throw new Error(problems.join('\n  '))
  return { cert: cert as Buffer, key: key as Buffer }
}

/**
 * Reads a CA bundle (one or more PEM certificates) that a client trusts for its server, e.g.
 * the agent's `--control-plane-ca` or the CLI's `--ca-file`. Throws an Error naming `flag`.
 */
export function readCaFile (path: string, flag: string): Buffer {
  const problems: string[] = []
  const ca = readPem(path, flag, /-----BEGIN CERTIFICATE-----/, 'PEM certificates (-----BEGIN CERTIFICATE-----)', problems)
  if (ca === undefined) throw new Error(problems.join('\n  '))
  return ca
}

function readPem (path: string, flag: string, marker: RegExp, what: string, problems: string[]): Buffer | undefined {
  let data: Buffer
  try {
    data = readFileSync(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    problems.push(`${flag}: cannot read ${path}${code === undefined ? '' : ` (${code})`}`)
    return undefined
  }
  if (!marker.test(data.toString('latin1'))) {
    problems.push(`${flag}: ${path} does not hold ${what}`)
    return undefined
  }
  return data
}
