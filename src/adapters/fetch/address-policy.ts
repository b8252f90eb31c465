import net from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * What the safe fetcher may connect to. Pure functions, no I/O: the fetcher resolves names itself and asks
 * `classifyAddress` about EVERY answer before connecting to one of them.
 *
 * The rule is an allow-list: an address is public only if ipaddr.js files it under `unicast` (IPv4) or it is
 * global unicast IPv6 (2000::/3, `unicast`), and it is not a known cloud metadata address. IPv6 forms that
 * embed an IPv4 address (mapped, translated, NAT64, 6to4, Teredo) are judged by the IPv4 address(es) they
 * carry; the deprecated IPv4-compatible form (::a.b.c.d) and NAT64 local-use prefix are refused outright.
 */

export type AddressVerdict =
  | { allowed: true; address: string; family: 4 | 6 }
  | { allowed: false; address: string; range: string };

export type HostnameVerdict = { allowed: true; hostname: string } | { allowed: false; hostname: string; reason: string };

/**
 * Cloud metadata and platform endpoints. Most are inside ranges refused anyway (link-local, CGNAT,
 * IETF-reserved, unique-local); they are listed so logs name them, and because Azure's WireServer
 * (168.63.129.16) sits in PUBLIC address space and must be refused explicitly.
 */
export const METADATA_ADDRESSES: ReadonlySet<string> = new Set([
  '169.254.169.254', // AWS, GCP, Azure, DigitalOcean, OpenStack, Oracle (IMDS)
  '169.254.169.253', // AWS VPC DNS
  '169.254.169.123', // AWS time sync
  '169.254.170.2', // AWS ECS task metadata
  '169.254.0.23', // Tencent Cloud
  '100.100.100.200', // Alibaba Cloud
  '192.0.0.192', // Oracle Cloud (legacy)
  '168.63.129.16', // Azure WireServer (public range!)
  'fd00:ec2::254', // AWS IMDS over IPv6
  'fd00:ec2::23', // AWS VPC DNS over IPv6
  'fd20:ce::254', // GCP metadata over IPv6
]);

/** Metadata services reached by name (refused before any DNS lookup, whatever they resolve to). */
export const METADATA_HOSTNAMES: ReadonlySet<string> = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.tencentyun.com',
  'metadata.packet.net',
  'metadata.platformequinix.com',
  'metadata.azure.internal',
]);

/** Names that never designate a public web site (RFC 6761/6762/8375/9476 and common intranet suffixes). */
const RESERVED_SUFFIXES = [
  'localhost',
  'local',
  'localdomain',
  'internal',
  'intranet',
  'lan',
  'home',
  'corp',
  'private',
  'home.arpa',
  'arpa',
  'onion',
  'invalid',
  'alt',
];

const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR('2000::/3');
const NAT64_LOCAL_USE = ipaddr.IPv6.parseCIDR('64:ff9b:1::/48');

/** Strips `[…]` around an IPv6 literal (WHATWG `URL.hostname` keeps them). */
export function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function refuse(address: string, range: string): AddressVerdict {
  return { allowed: false, address, range };
}

function classifyV4(ip: ipaddr.IPv4, shown: string): AddressVerdict {
  const normal = ip.toString();
  if (METADATA_ADDRESSES.has(normal)) return refuse(shown, 'metadata');
  const range = ip.range();
  if (range !== 'unicast') return refuse(shown, range);
  return { allowed: true, address: normal, family: 4 };
}

function v4FromParts(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

/** The IPv4 address(es) an IPv6 address carries, by its transition mechanism; `undefined` when none. */
function embeddedV4(ip: ipaddr.IPv6, range: string): ipaddr.IPv4[] | undefined {
  const p = ip.parts;
  switch (range) {
    case 'ipv4Mapped': // ::ffff:a.b.c.d
    case 'rfc6145': // ::ffff:0:a.b.c.d (IPv4-translated)
    case 'rfc6052': // 64:ff9b::a.b.c.d (NAT64 well-known prefix)
      return [v4FromParts(p[6], p[7])];
    case '6to4': // 2002:AABB:CCDD::/48
      return [v4FromParts(p[1], p[2])];
    case 'teredo': // 2001:0:SERVER:SERVER:flags:port:~CLIENT:~CLIENT
      return [v4FromParts(p[2], p[3]), v4FromParts(p[6] ^ 0xffff, p[7] ^ 0xffff)];
    default:
      return undefined;
  }
}

/**
 * Is this IP address (v4 dotted quad or v6, brackets allowed) public enough to connect to? Only strict
 * literals are accepted (`net.isIP`): `0177.0.0.1`, `0x7f.1` or `2130706433` are not addresses here (the
 * WHATWG URL parser has already turned such hosts into dotted quads; a resolver answering them is refused).
 */
export function classifyAddress(input: string): AddressVerdict {
  const shown = unbracket(input.trim());
  if (shown.includes('%')) return refuse(shown, 'scoped'); // fe80::1%eth0: zone ids only exist for link-local
  const family = net.isIP(shown);
  if (family === 4) return classifyV4(ipaddr.IPv4.parse(shown), shown);
  if (family !== 6) return refuse(shown, 'invalid');

  // Canonicalise with the WHATWG IPv6 parser first: ipaddr.js reads `::a.b.c.d` (IPv4-compatible) as if it
  // were `::ffff:a.b.c.d` (mapped); the WHATWG form writes the embedded address in hex, which it parses right.
  let ip: ipaddr.IPv6;
  try {
    ip = ipaddr.IPv6.parse(unbracket(new URL(`http://[${shown}]/`).hostname));
  } catch {
    return refuse(shown, 'invalid');
  }
  const normal = ip.toNormalizedString();
  const compact = ip.toString();
  if (METADATA_ADDRESSES.has(compact)) return refuse(shown, 'metadata');
  const range = ip.range();
  if (range === 'rfc6052' && ip.match(NAT64_LOCAL_USE)) return refuse(shown, 'nat64LocalUse');
  const embedded = embeddedV4(ip, range);
  if (embedded) {
    for (const v4 of embedded) {
      const verdict = classifyV4(v4, shown);
      if (!verdict.allowed) return refuse(shown, `${range}:${verdict.range}`);
    }
    return { allowed: true, address: compact, family: 6 };
  }
  // ::a.b.c.d (IPv4-compatible, deprecated by RFC 4291) falls outside 2000::/3 and is refused below.
  if (range !== 'unicast' || !ip.match(GLOBAL_UNICAST_V6)) {
    return refuse(shown, range === 'unicast' ? (normal.startsWith('0:0:0:0:0:0:') ? 'ipv4Compatible' : 'notGlobalUnicast') : range);
  }
  return { allowed: true, address: compact, family: 6 };
}

/**
 * Is this host NAME acceptable before any lookup? `hostname` is WHATWG-normalised (lower case, IDNA ASCII).
 * Refuses metadata names, `localhost` and reserved or intranet suffixes, and single-label names (`metadata`,
 * `instance-data`, `ip6-localhost`, `intranet`): a public web site always has a dot in its name.
 */
export function classifyHostname(input: string): HostnameVerdict {
  const hostname = input.toLowerCase().replace(/\.+$/, '');
  if (hostname === '') return { allowed: false, hostname, reason: 'empty' };
  if (METADATA_HOSTNAMES.has(hostname)) return { allowed: false, hostname, reason: 'metadata' };
  if (!hostname.includes('.')) return { allowed: false, hostname, reason: 'singleLabel' };
  for (const suffix of RESERVED_SUFFIXES) {
    if (hostname === suffix || hostname.endsWith(`.${suffix}`)) return { allowed: false, hostname, reason: `reserved:${suffix}` };
  }
  return { allowed: true, hostname };
}

/**
 * Ports a user-supplied URL may name: the web defaults 80 and 443, and the unprivileged range 1024–65535
 * (sites on :8080, :8443…). Privileged ports below 1024 (22 ssh, 25 smtp, 110, 143, 389…) are refused: they
 * are never web sites and are the classic SSRF protocol-smuggling targets.
 */
export function isAllowedPort(port: number): boolean {
  return port === 80 || port === 443 || (port >= 1024 && port <= 65535);
}

/** The two exact loopback addresses the test-only `allowLoopbackPorts` option may open. */
export function isExactLoopback(address: string): boolean {
  const a = unbracket(address);
  return a === '127.0.0.1' || a === '::1';
}
