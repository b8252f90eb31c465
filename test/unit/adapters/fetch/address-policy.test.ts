import { expect } from 'chai';
import {
  classifyAddress,
  classifyHostname,
  isAllowedPort,
  isExactLoopback,
} from '../../../../src/adapters/fetch/address-policy.js';

function rangeOf(address: string): string {
  const verdict = classifyAddress(address);
  return verdict.allowed ? 'allowed' : verdict.range;
}

describe('fetch address policy', () => {
  describe('IPv4', () => {
    const refused: [string, string][] = [
      ['127.0.0.1', 'loopback'],
      ['127.255.255.254', 'loopback'],
      ['0.0.0.0', 'unspecified'],
      ['0.1.2.3', 'unspecified'],
      ['10.0.0.1', 'private'],
      ['172.16.0.1', 'private'],
      ['172.31.255.255', 'private'],
      ['192.168.1.1', 'private'],
      ['169.254.0.1', 'linkLocal'],
      ['169.254.169.254', 'metadata'],
      ['169.254.170.2', 'metadata'],
      ['100.64.0.1', 'carrierGradeNat'],
      ['100.127.255.254', 'carrierGradeNat'],
      ['100.100.100.200', 'metadata'],
      ['224.0.0.1', 'multicast'],
      ['239.255.255.250', 'multicast'],
      ['255.255.255.255', 'broadcast'],
      ['240.0.0.1', 'reserved'],
      ['192.0.0.8', 'reserved'],
      ['192.0.0.192', 'metadata'],
      ['192.0.2.10', 'reserved'], // TEST-NET-1
      ['198.51.100.7', 'reserved'], // TEST-NET-2
      ['203.0.113.9', 'reserved'], // TEST-NET-3
      ['198.18.0.1', 'reserved'], // benchmarking
      ['168.63.129.16', 'metadata'], // Azure WireServer, in public space
    ];
    for (const [address, range] of refused) {
      it(`refuses ${address} (${range})`, () => {
        expect(rangeOf(address)).to.equal(range);
      });
    }

    it('allows public unicast addresses', () => {
      for (const address of ['8.8.8.8', '1.1.1.1', '93.184.215.14', '151.101.1.69', '100.63.255.255', '100.128.0.1', '172.32.0.1']) {
        expect(classifyAddress(address), address).to.deep.include({ allowed: true, family: 4 });
      }
    });

    it('only reads strict dotted quads: odd encodings from a resolver are not addresses', () => {
      for (const odd of ['0177.0.0.1', '0x7f.1', '127.1', '2130706433', '0x7f000001', '127.000.000.001', ' ', 'localhost']) {
        expect(rangeOf(odd), odd).to.equal('invalid');
      }
    });
  });

  describe('IPv6', () => {
    const refused: [string, string][] = [
      ['::1', 'loopback'],
      ['[::1]', 'loopback'],
      ['0:0:0:0:0:0:0:1', 'loopback'],
      ['::', 'unspecified'],
      ['fe80::1', 'linkLocal'],
      ['febf:ffff::1', 'linkLocal'],
      ['fe80::1%eth0', 'scoped'],
      ['fc00::1', 'uniqueLocal'],
      ['fd12:3456::1', 'uniqueLocal'],
      ['fd00:ec2::254', 'metadata'],
      ['fd20:ce::254', 'metadata'],
      ['ff02::1', 'multicast'],
      ['fec0::1', 'deprecatedSiteLocal'],
      ['2001:db8::1', 'reserved'], // documentation
      ['3fff::1', 'reserved'], // documentation (RFC 9637)
      ['100::1', 'discard'],
      // IPv4-mapped, IPv4-translated, IPv4-compatible
      ['::ffff:127.0.0.1', 'ipv4Mapped:loopback'],
      ['::ffff:7f00:1', 'ipv4Mapped:loopback'],
      ['0:0:0:0:0:ffff:127.0.0.1', 'ipv4Mapped:loopback'],
      ['::ffff:a9fe:a9fe', 'ipv4Mapped:metadata'],
      ['::ffff:10.0.0.1', 'ipv4Mapped:private'],
      ['::ffff:0:7f00:1', 'rfc6145:loopback'],
      ['::127.0.0.1', 'ipv4Compatible'],
      ['::8.8.8.8', 'ipv4Compatible'],
      // NAT64
      ['64:ff9b::7f00:1', 'rfc6052:loopback'],
      ['64:ff9b::169.254.169.254', 'rfc6052:metadata'],
      ['64:ff9b::a00:1', 'rfc6052:private'],
      ['64:ff9b:1::8.8.8.8', 'nat64LocalUse'],
      // 6to4 and Teredo embedding private IPv4
      ['2002:7f00:1::1', '6to4:loopback'],
      ['2002:c0a8:101::1', '6to4:private'],
      ['2002:a9fe:a9fe::', '6to4:metadata'],
      ['2001:0:7f00:1::1', 'teredo:loopback'], // Teredo server 127.0.0.1
      ['2001:0:808:808:0:0:f5ff:fffe', 'teredo:private'], // client ~f5ff:fffe = 10.0.0.1
    ];
    for (const [address, range] of refused) {
      it(`refuses ${address} (${range})`, () => {
        expect(rangeOf(address)).to.equal(range);
      });
    }

    it('allows global unicast, and transition forms that carry a public IPv4 address', () => {
      for (const address of [
        '2606:4700:4700::1111',
        '2a00:1450:4007:80c::200e',
        '2001:4860:4860::8888',
        '::ffff:8.8.8.8',
        '64:ff9b::8.8.8.8',
        '2002:808:808::1',
        '2001:0:808:808:0:0:f7f7:f7f7', // Teredo: server 8.8.8.8, client 8.8.8.8
      ]) {
        expect(classifyAddress(address), address).to.deep.include({ allowed: true, family: 6 });
      }
    });
  });

  describe('host names', () => {
    it('refuses metadata, loopback, intranet and single-label names before any lookup', () => {
      for (const name of [
        'metadata.google.internal',
        'metadata.google.internal.',
        'METADATA.GOOGLE.INTERNAL',
        'metadata.goog',
        'metadata',
        'instance-data',
        'metadata.tencentyun.com',
        'metadata.packet.net',
        'localhost',
        'localhost.',
        'app.localhost',
        'ip6-localhost',
        'ip6-loopback',
        'printer.local',
        'db.internal',
        'router.home.arpa',
        'intranet',
        'nas.lan',
        'x.onion',
        '',
      ]) {
        expect(classifyHostname(name).allowed, name).to.equal(false);
      }
    });

    it('lets public names through to resolution (their answers are checked then)', () => {
      for (const name of ['example.com', 'www.boulangerie-martin.fr', 'nip.io', '127.0.0.1.nip.io', 'xn--bcher-kva.example']) {
        expect(classifyHostname(name).allowed, name).to.equal(true);
      }
    });
  });

  it('allows ports 80, 443 and 1024–65535 only', () => {
    for (const port of [80, 443, 1024, 8080, 8443, 65535]) expect(isAllowedPort(port), String(port)).to.equal(true);
    for (const port of [0, 21, 22, 25, 110, 389, 1023, 65536]) expect(isAllowedPort(port), String(port)).to.equal(false);
  });

  it('knows the two exact loopback addresses the test-only option can open', () => {
    expect(isExactLoopback('127.0.0.1')).to.equal(true);
    expect(isExactLoopback('[::1]')).to.equal(true);
    expect(isExactLoopback('127.0.0.2')).to.equal(false);
    expect(isExactLoopback('::ffff:127.0.0.1')).to.equal(false);
  });
});
