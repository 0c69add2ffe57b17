import t from 'tap'
import { forbiddenAddress } from '../../../control-plane/alerts/forbidden-address.ts'
import { webhookTargetProblem } from '../../../control-plane/alerts/webhook-url.ts'

t.test('forbiddenAddress: every reserved range by its reason; public addresses and names pass', async t => {
  const cases: Array<[string, RegExp | null]> = [
    ['127.0.0.1', /^loopback/], ['127.255.255.254', /^loopback/], ['::1', /^loopback/], ['[::1]', /^loopback/], ['0:0:0:0:0:0:0:1', /^loopback/],
    ['10.0.0.1', /RFC 1918/], ['172.16.0.0', /RFC 1918/], ['172.31.255.255', /RFC 1918/], ['192.168.0.1', /RFC 1918/],
    ['100.64.0.1', /carrier-grade/], ['100.127.255.255', /carrier-grade/],
    ['169.254.169.254', /^link-local/], ['fe80::1', /^link-local/], ['fe80::1%eth0', /^link-local/], ['febf::1', /^link-local/],
    ['fd00:ec2::254', /unique local/], ['fc00::1', /unique local/], ['fec0::1', /site-local/],
    ['0.0.0.0', /unspecified/], ['::', /unspecified/], ['224.0.0.251', /multicast/], ['ff02::1', /multicast/], ['255.255.255.255', /reserved/],
    ['192.0.0.192', /reserved/], ['198.18.0.1', /benchmarking/],
    // IPv4 carried in IPv6 is judged as that IPv4.
    ['::ffff:127.0.0.1', /^loopback/], ['::ffff:7f00:1', /^loopback/], ['::ffff:a9fe:a9fe', /^link-local/], ['64:ff9b::10.0.0.1', /RFC 1918/], ['::192.168.1.1', /RFC 1918/],
    ['::ffff:8.8.8.8', null], ['64:ff9b::808:808', null],
    ['8.8.8.8', null], ['1.1.1.1', null], ['172.32.0.1', null], ['100.128.0.1', null], ['169.255.0.1', null], ['2606:4700:4700::1111', null], ['2001:db8::1', null], ['fbff::1', null],
    ['hooks.example.com', null], ['localhost', null],
  ]
  for (const [address, why] of cases) {
    if (why === null) t.equal(forbiddenAddress(address), null, `${address} passes`)
    else t.match(forbiddenAddress(address), why, address)
  }
})

t.test('webhookTargetProblem: literals after URL normalization, and names that always mean this host or a metadata service', async t => {
  for (const url of ['http://localhost/h', 'http://LOCALHOST./h', 'http://a.b.localhost/h', 'http://metadata.google.internal/x', 'http://db.corp.internal/x', 'http://metadata/x',
    'http://instance-data/latest', 'http://metadata.goog/x', 'http://2130706433/', 'http://0177.0.0.1/', 'http://[::ffff:169.254.169.254]/']) {
    t.match(webhookTargetProblem(url), /--alert-webhook-allow-private/, url)
  }
  for (const url of ['https://hooks.slack.com/services/x', 'https://internal.example.com/h', 'https://notlocalhost.com/h', 'http://93.184.216.34/h']) {
    t.equal(webhookTargetProblem(url), null, url)
  }
})
