import t from 'tap'
import { advertisedUrl } from '../../agent/advertised-url.ts'
import { localAddressToward } from '../../agent/local-address-toward.ts'

// Issue 12: the agent_url never names 0.0.0.0/:: and never a loopback address for a remote control plane.
const route = (address: string) => async (): Promise<string> => address
const noRoute = async (): Promise<string> => { throw Object.assign(new Error('connect ENETUNREACH'), { code: 'ENETUNREACH' }) }
const REMOTE = 'http://10.0.0.5:8080'
const LOCAL = 'http://127.0.0.1:8080'

t.test('listening on all addresses: the address on the route to the control plane, with the listen port', async t => {
  t.equal(await advertisedUrl({ listen: '0.0.0.0:9410', controlPlane: REMOTE, tls: false }, route('10.0.0.17')), 'http://10.0.0.17:9410')
  t.equal(await advertisedUrl({ listen: '[::]:9410', controlPlane: 'https://[2001:db8::5]:8443', tls: true }, route('2001:db8::17')), 'https://[2001:db8::17]:9410')
  t.equal(await advertisedUrl({ listen: '0.0.0.0:9410', controlPlane: LOCAL, tls: false }, route('127.0.0.1')), 'http://127.0.0.1:9410', 'a local control plane may hear loopback')
})

t.test('the route lookup for real: toward a loopback control plane it leaves from loopback', async t => {
  t.match(await localAddressToward(new URL(LOCAL)), /^127\./)
  t.equal(await advertisedUrl({ listen: '0.0.0.0:9410', controlPlane: LOCAL, tls: false }), 'http://127.0.0.1:9410')
})

t.test('refused with a message that says what to set (CONFIG_INVALID: exit 2)', async t => {
  await t.rejects(advertisedUrl({ listen: '0.0.0.0:9410', controlPlane: REMOTE, tls: false }, noRoute),
    { code: 'CONFIG_INVALID', message: /could not find its own address toward the control plane at http:\/\/10\.0\.0\.5:8080 \(connect ENETUNREACH\); set --advertise-url/ })
  await t.rejects(advertisedUrl({ listen: '0.0.0.0:9410', controlPlane: REMOTE, tls: false }, route('127.0.0.1')), { code: 'CONFIG_INVALID', message: /set --advertise-url/ })
  for (const listen of ['127.0.0.1:9410', '[::1]:9410', 'localhost:9410', '127.8.9.10:9410']) {
    await t.rejects(advertisedUrl({ listen, controlPlane: REMOTE, tls: false }, route('10.0.0.17')),
      { code: 'CONFIG_INVALID', message: /accepts connections from this host only, but the control plane at http:\/\/10\.0\.0\.5:8080 is on another host.*--listen 0\.0\.0\.0:9410.*--advertise-url/ }, listen)
  }
  await t.rejects(advertisedUrl({ listen: '127.0.0.1:9410', controlPlane: 'https://cp.example.com', tls: false }), { code: 'CONFIG_INVALID' }, 'a control plane named by DNS is remote')
  for (const url of ['http://127.0.0.1:9410', 'http://localhost:9410', 'https://[::1]:9410', 'http://[::ffff:127.0.0.1]:9410']) {
    await t.rejects(advertisedUrl({ listen: '0.0.0.0:9410', advertiseUrl: url, controlPlane: REMOTE, tls: false }, route('10.0.0.17')),
      { code: 'CONFIG_INVALID', message: /--advertise-url: .* is a loopback address, but the control plane .* is on another host/ }, url)
  }
  for (const url of ['http://0.0.0.0:9410', 'http://[::]:9410']) {
    await t.rejects(advertisedUrl({ listen: '0.0.0.0:9410', advertiseUrl: url, controlPlane: LOCAL, tls: false }, route('127.0.0.1')),
      { code: 'CONFIG_INVALID', message: /--advertise-url: .* an address to listen on, not one to connect to/ }, url)
  }
})

t.test('--advertise-url wins; a specific listen address is advertised as is', async t => {
  t.equal(await advertisedUrl({ listen: '127.0.0.1:9410', advertiseUrl: 'https://gpu-7.example.com:443', controlPlane: REMOTE, tls: false }, noRoute), 'https://gpu-7.example.com:443', 'a local TLS proxy in front of a loopback agent')
  t.equal(await advertisedUrl({ listen: '10.0.0.17:9410', controlPlane: REMOTE, tls: true }, noRoute), 'https://10.0.0.17:9410')
  t.equal(await advertisedUrl({ listen: 'gpu-7.example.com:9410', controlPlane: REMOTE, tls: false }, noRoute), 'http://gpu-7.example.com:9410')
  t.equal(await advertisedUrl({ listen: '127.0.0.1:9410', controlPlane: LOCAL, tls: false }, noRoute), 'http://127.0.0.1:9410', 'all on one host (gpufleet up)')
})
