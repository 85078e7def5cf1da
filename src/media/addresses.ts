// Addresses a media download must never reach unless explicitly allowed: loopback, private,
// link-local (cloud metadata at 169.254.169.254), carrier-grade NAT, multicast, reserved.
import { BlockList, isIP } from 'node:net';

// Two lists: Node's BlockList matches IPv4 addresses against IPv4-mapped IPv6 rules, so one list
// holding ::ffff:0:0/96 would refuse every IPv4 address.
const blockedV4 = new BlockList();
const blockedV6 = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blockedV4.addSubnet(net, bits, 'ipv4');
}
// IPv6: besides loopback, private and link-local, every form that embeds or reaches an IPv4
// address (IPv4-compatible, -mapped, -translated, NAT64, 6to4, Teredo) is refused outright, so an
// address like ::127.0.0.1 or 2002:7f00:1:: cannot tunnel to a host the IPv4 list refuses. No
// real media host is reached through them.
for (const [net, bits] of [
  ['::', 96], // unspecified, loopback, IPv4-compatible (::127.0.0.1, deprecated)
  ['::ffff:0:0', 96], // IPv4-mapped
  ['::ffff:0:0:0', 96], // IPv4-translated (SIIT)
  ['64:ff9b::', 96], // NAT64, well-known prefix
  ['64:ff9b:1::', 48], // NAT64, local-use prefix
  ['100::', 64], // discard-only
  ['2001::', 32], // Teredo
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated, still private where used)
  ['ff00::', 8], // multicast
] as const) {
  blockedV6.addSubnet(net, bits, 'ipv6');
}

/** True for any address that is not a public unicast address. */
export function isNonPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blockedV4.check(address, 'ipv4');
  // A zone id (fe80::1%eth0) only means something on a local link.
  if (family === 6) return address.includes('%') || blockedV6.check(address, 'ipv6');
  return true; // not an address at all: refuse
}
