import { addressAllowed, isIpLiteral } from "./address";
import { OutboundRefusedError } from "./errors";

/**
 * What user-supplied URLs may reach. `allowPrivate` is for the local runtime, whose media host
 * lives on loopback: `STUDIO_OUTBOUND_ALLOW_PRIVATE=1` (the local runtime sets it unless it is
 * already set; production never does). It also allows any port, since local servers listen on
 * random ones. Otherwise only public addresses on ports 80/443 and the ports listed in
 * `STUDIO_OUTBOUND_PORTS` (comma-separated).
 */
export interface OutboundPolicy {
  allowPrivate: boolean;
  /** Ports allowed besides the scheme's default; `"any"` when private addresses are allowed. */
  ports: "any" | number[];
}

/**
 * The policy from the environment, read on each call.
 *
 * @example
 * outboundPolicy({ STUDIO_OUTBOUND_ALLOW_PRIVATE: "0" }); // { allowPrivate: false, ports: [] }
 */
export function outboundPolicy(env: NodeJS.ProcessEnv = process.env): OutboundPolicy {
  const allowPrivate = env.STUDIO_OUTBOUND_ALLOW_PRIVATE === "1";
  const ports = (env.STUDIO_OUTBOUND_PORTS ?? "")
    .split(",")
    .map((p) => Number(p.trim()))
    .filter((p) => Number.isInteger(p) && p > 0 && p < 65_536);
  return { allowPrivate, ports: allowPrivate ? "any" : ports };
}

/** Host names that are local by definition, refused before any DNS (RFC 6761, 6762, 8375, ICANN .internal). */
const LOCAL_NAME = /(^|\.)(localhost|local|internal|home\.arpa|localdomain)$/i;

/**
 * Checks a user-supplied URL before any connection: http(s) only, no user name or password, an
 * allowed port, and a host that is not an internal literal (every IPv4/IPv6 notation: the URL
 * parser turns `0x7f000001`, `2130706433` and `0177.0.0.1` into `127.0.0.1`) nor a local name
 * (`localhost`, `*.internal` such as `metadata.google.internal`, single-label names that a
 * resolver's search list would complete). The resolved address is checked again when the
 * connection is made (net/guarded-agent.ts): this check alone cannot see DNS.
 *
 * @example
 * checkOutboundUrl("http://169.254.169.254/latest/meta-data/", policy); // throws OutboundRefusedError("address")
 */
export function checkOutboundUrl(raw: string | URL, policy: OutboundPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundRefusedError("url");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new OutboundRefusedError("scheme");
  if (url.username || url.password) throw new OutboundRefusedError("userinfo");
  if (url.port && policy.ports !== "any" && !policy.ports.includes(Number(url.port)))
    throw new OutboundRefusedError("port");
  const host = url.hostname.replace(/\.$/, "");
  if (!host) throw new OutboundRefusedError("host");
  if (isIpLiteral(host)) {
    if (!addressAllowed(host, policy.allowPrivate)) throw new OutboundRefusedError("address");
  } else if (!policy.allowPrivate && (LOCAL_NAME.test(host) || !host.includes("."))) {
    throw new OutboundRefusedError("host");
  } else if (/(^|\.)metadata\.google\.internal$/i.test(host)) {
    throw new OutboundRefusedError("host");
  }
  return url;
}
