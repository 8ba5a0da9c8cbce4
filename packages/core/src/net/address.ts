import ipaddr from "ipaddr.js";

/**
 * Addresses no user-supplied URL may reach, even where private addresses are allowed (the local
 * runtime): cloud metadata and credential endpoints. 169.254.169.254 (AWS, GCP, Azure, …),
 * 169.254.170.2 (ECS task credentials) and the rest of IPv4 link-local, fd00:ec2::254 (AWS
 * IPv6 metadata), IPv6 link-local, and 100.100.100.200 (Alibaba Cloud).
 */
const ALWAYS_DENIED = ["169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128", "100.100.100.200/32"].map((cidr) =>
  ipaddr.parseCIDR(cidr),
);

/** Parses an IP address in any notation Node or a URL may hand us; undefined if it is not one. */
function parse(ip: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  const bare = ip.startsWith("[") && ip.endsWith("]") ? ip.slice(1, -1) : ip;
  if (!ipaddr.isValid(bare)) return undefined;
  const addr = ipaddr.parse(bare);
  // ::ffff:127.0.0.1 is 127.0.0.1: judge the IPv4 address it carries.
  return addr.kind() === "ipv6" && (addr as ipaddr.IPv6).isIPv4MappedAddress()
    ? (addr as ipaddr.IPv6).toIPv4Address()
    : addr;
}

/**
 * True for a public unicast address. Everything ipaddr.js classifies otherwise is refused:
 * loopback, private (RFC 1918), unique local (fc00::/7), link-local, CGNAT (100.64/10),
 * multicast, broadcast, unspecified (0.0.0.0, ::), reserved and documentation ranges, and the
 * IPv6 forms that embed or translate IPv4 (6to4, Teredo, NAT64) whose real target is hidden.
 *
 * @example
 * isPublicAddress("93.184.216.34"); // true
 * isPublicAddress("::ffff:127.0.0.1"); // false
 */
export function isPublicAddress(ip: string): boolean {
  const addr = parse(ip);
  return addr !== undefined && addr.range() === "unicast" && !isAlwaysDenied(ip);
}

/** True for the metadata and link-local ranges that stay refused whatever the setting. */
export function isAlwaysDenied(ip: string): boolean {
  const addr = parse(ip);
  if (!addr) return false;
  return ALWAYS_DENIED.some(([net, bits]) => addr.kind() === net.kind() && addr.match(net, bits));
}

/** True when `host` is an IP literal (with or without IPv6 brackets). */
export const isIpLiteral = (host: string) => parse(host) !== undefined;

/**
 * The connection rule for one resolved address: with `allowPrivate` (local development only)
 * everything but the always-denied ranges; otherwise public unicast only.
 */
export function addressAllowed(ip: string, allowPrivate: boolean): boolean {
  if (parse(ip) === undefined) return false;
  return allowPrivate ? !isAlwaysDenied(ip) : isPublicAddress(ip);
}
