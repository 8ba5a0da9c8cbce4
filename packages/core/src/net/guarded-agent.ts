import * as dns from "node:dns";
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import type { Duplex } from "node:stream";
import { addressAllowed } from "./address";
import { OutboundRefusedError } from "./errors";

/** `dns.lookup`'s shape (single address or, with `all`, a list). */
export type LookupFunction = NonNullable<net.TcpSocketConnectOpts["lookup"]>;

type Callback = (err: NodeJS.ErrnoException | null, address?: string | dns.LookupAddress[], family?: number) => void;

/**
 * Wraps a lookup so that every address it resolves is checked before the socket connects to
 * it: the check happens at connect time, on the address actually used, so a name that resolved
 * to a public address when the post was created and to 127.0.0.1 now (DNS rebinding), or a
 * redirect to an internal name, is refused. With `all` (Node's happy-eyeballs), one internal
 * address among the answers refuses the host.
 */
function guardedLookup(lookup: LookupFunction, allowPrivate: boolean): LookupFunction {
  return ((hostname: string, options: dns.LookupOptions, cb: Callback) => {
    (lookup as (h: string, o: dns.LookupOptions, c: Callback) => void)(hostname, options, (err, address, family) => {
      if (err) return cb(err);
      const all = Array.isArray(address) ? address : [{ address: address as string, family: family ?? 0 }];
      if (all.length === 0 || all.some((a) => !addressAllowed(a.address, allowPrivate)))
        return cb(new OutboundRefusedError("address"));
      cb(null, address, family);
    });
  }) as LookupFunction;
}

function refusedSocket(cb: ((err: Error | null, socket: Duplex) => void) | undefined): net.Socket {
  const socket = new net.Socket();
  const err = new OutboundRefusedError("address");
  if (cb) cb(err, socket);
  else process.nextTick(() => socket.destroy(err));
  return socket;
}

/**
 * The connection step of both agents: an IP literal host is checked as is (no lookup happens
 * for it); a name gets the guarded lookup (the caller's own lookup, for tests, or `dns.lookup`).
 * Modeled on request-filtering-agent (azu), whose errors carry the resolved address in their
 * message; here the refusal is typed and names nothing.
 */
function guardedConnect(
  allowPrivate: boolean,
  options: net.TcpNetConnectOpts,
  cb: ((err: Error | null, socket: Duplex) => void) | undefined,
  connect: (options: net.TcpNetConnectOpts, cb?: (err: Error | null, socket: Duplex) => void) => Duplex,
): Duplex {
  const host = options.host;
  if (host && net.isIP(host) !== 0 && !addressAllowed(host, allowPrivate)) return refusedSocket(cb);
  return connect({ ...options, lookup: guardedLookup(options.lookup ?? dns.lookup, allowPrivate) }, cb);
}

/** An http.Agent whose every connection goes through the address check. No keep-alive: one request, one socket. */
export class GuardedHttpAgent extends http.Agent {
  constructor(private readonly allowPrivate: boolean) {
    super({ keepAlive: false });
  }
  override createConnection(options: net.TcpNetConnectOpts, cb?: (err: Error | null, socket: Duplex) => void) {
    return guardedConnect(this.allowPrivate, options, cb, (o, c) => super.createConnection(o, c) as Duplex);
  }
}

/** The https.Agent counterpart (TLS still verifies the certificate against the host name). */
export class GuardedHttpsAgent extends https.Agent {
  constructor(private readonly allowPrivate: boolean) {
    super({ keepAlive: false });
  }
  override createConnection(options: net.TcpNetConnectOpts, cb?: (err: Error | null, socket: Duplex) => void) {
    return guardedConnect(this.allowPrivate, options, cb, (o, c) => super.createConnection(o, c) as Duplex);
  }
}
