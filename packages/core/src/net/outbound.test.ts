import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkOutboundUrl,
  isPublicAddress,
  type LookupFunction,
  OutboundRefusedError,
  outboundFetch,
  outboundPolicy,
} from "./index";

const production = { allowPrivate: false, ports: [] as number[] };
const local = { allowPrivate: true, ports: "any" as const };

const reason = (fn: () => unknown) => {
  try {
    fn();
    return "allowed";
  } catch (err) {
    return err instanceof OutboundRefusedError ? err.reason : `other: ${String(err)}`;
  }
};

describe("addresses", () => {
  it.each([
    "127.0.0.1",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "100.100.100.200",
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd00:ec2::254",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "64:ff9b::7f00:1",
    "2002:7f00:1::",
  ])("%s is not public", (ip) => expect(isPublicAddress(ip)).toBe(false));

  it.each(["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])("%s is public", (ip) =>
    expect(isPublicAddress(ip)).toBe(true),
  );
});

describe("checkOutboundUrl (before any connection)", () => {
  it.each([
    ["http://127.0.0.1:8080/x.jpg", "port"],
    ["http://127.0.0.1/x.jpg", "address"],
    ["http://169.254.169.254/latest/meta-data/", "address"],
    ["http://[::1]/", "address"],
    ["http://[::ffff:127.0.0.1]/", "address"],
    ["http://[fd00:ec2::254]/", "address"],
    ["http://0x7f000001/", "address"],
    ["http://2130706433/", "address"],
    ["http://0177.0.0.1/", "address"],
    ["http://127.1/", "address"],
    ["http://localhost/", "host"],
    ["http://localhost./", "host"],
    ["http://app.localhost/", "host"],
    ["localhost:22", "scheme"],
    ["http://user:pass@10.0.0.1/", "userinfo"],
    ["https://user@cdn.example.com/a.jpg", "userinfo"],
    ["http://metadata.google.internal/computeMetadata/v1/", "host"],
    ["http://intranet/", "host"],
    ["file:///etc/passwd", "scheme"],
    ["gopher://cdn.example.com/", "scheme"],
    ["https://cdn.example.com:8443/a.jpg", "port"],
    ["not a url", "url"],
  ])("%s is refused (%s)", (url, why) => expect(reason(() => checkOutboundUrl(url, production))).toBe(why));

  it.each(["https://cdn.example.com/a.jpg", "http://cdn.example.com:80/a.jpg", "https://93.184.216.34/a.jpg"])(
    "%s is allowed",
    (url) => expect(reason(() => checkOutboundUrl(url, production))).toBe("allowed"),
  );

  it("the local setting allows loopback on any port, never metadata", () => {
    expect(reason(() => checkOutboundUrl("http://127.0.0.1:4567/x.jpg", local))).toBe("allowed");
    expect(reason(() => checkOutboundUrl("http://169.254.169.254/", local))).toBe("address");
    expect(reason(() => checkOutboundUrl("http://metadata.google.internal/", local))).toBe("host");
    expect(reason(() => checkOutboundUrl("http://u:p@127.0.0.1/", local))).toBe("userinfo");
  });

  it("reads the setting from the environment", () => {
    expect(outboundPolicy({})).toEqual({ allowPrivate: false, ports: [] });
    expect(outboundPolicy({ STUDIO_OUTBOUND_ALLOW_PRIVATE: "0", STUDIO_OUTBOUND_PORTS: "8443, x" })).toEqual({
      allowPrivate: false,
      ports: [8443],
    });
    expect(outboundPolicy({ STUDIO_OUTBOUND_ALLOW_PRIVATE: "1" })).toEqual({ allowPrivate: true, ports: "any" });
  });
});

describe("outboundFetch (at connect time, over real sockets)", () => {
  let server: Server;
  let port: number;
  const seen: string[] = [];
  let other: Server;
  let otherPort: number;
  const otherSeen: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      const hop = /^\/hop\/(\d+)$/.exec(req.url ?? "");
      if (hop) return void res.writeHead(302, { location: `/hop/${Number(hop[1]) + 1}` }).end();
      if (req.url === "/to-other")
        return void res.writeHead(302, { location: `http://127.0.0.1:${otherPort}/x` }).end();
      if (req.url === "/to-metadata")
        return void res.writeHead(301, { location: "http://169.254.169.254/latest/meta-data/" }).end();
      if (req.url === "/to-userinfo")
        return void res.writeHead(302, { location: `http://a:b@127.0.0.1:${port}/ok` }).end();
      res.writeHead(200, { "content-type": "image/jpeg", "content-length": "3" }).end("abc");
    });
    other = createServer((req, res) => {
      otherSeen.push(`${req.method} ${req.url}`);
      res.writeHead(200).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    await new Promise<void>((r) => other.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
    otherPort = (other.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await new Promise((r) => other.close(r));
  });

  /** Resolves every name to `addresses` (a DNS answer an attacker controls). */
  const resolveTo = (...addresses: string[]): LookupFunction =>
    ((_host: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void) => {
      const all = addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
      if (opts.all) cb(null, all);
      else cb(null, all[0]!.address, all[0]!.family);
    }) as never;

  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => "allowed",
      (err) => (err instanceof OutboundRefusedError ? err.reason : `other: ${err}`),
    );

  it("a public-looking name that resolves to loopback is refused at connect: nothing reaches the listener", async () => {
    seen.length = 0;
    const policy = { allowPrivate: false, ports: [port] };
    const url = `http://media.example.com:${port}/x.jpg`;
    expect(await refusal(outboundFetch(url, { method: "HEAD", policy, lookup: resolveTo("127.0.0.1") }))).toBe(
      "address",
    );
    // One internal address among the answers is enough (Node may try any of them).
    expect(
      await refusal(
        outboundFetch(url, { method: "HEAD", policy, lookup: resolveTo("93.184.216.34", "::ffff:127.0.0.1") }),
      ),
    ).toBe("address");
    expect(seen).toEqual([]);
  });

  it("a literal internal address is refused before a socket is opened", async () => {
    seen.length = 0;
    const policy = { allowPrivate: false, ports: [port] };
    expect(await refusal(outboundFetch(`http://127.0.0.1:${port}/x.jpg`, { policy }))).toBe("address");
    expect(await refusal(outboundFetch(`http://[::ffff:127.0.0.1]:${port}/x.jpg`, { policy }))).toBe("address");
    expect(seen).toEqual([]);
  });

  it("the refusal names nothing about the target", async () => {
    const policy = { allowPrivate: false, ports: [port] };
    const err = await outboundFetch(`http://media.example.com:${port}/x.jpg`, {
      policy,
      lookup: resolveTo("10.1.2.3"),
    }).catch((e) => e);
    expect(err).toBeInstanceOf(OutboundRefusedError);
    expect(String(err.message)).not.toMatch(/10\.1\.2\.3|127\.0\.0\.1|media\.example|\d{4,5}/);
  });

  it("follows at most maxRedirects redirects", async () => {
    seen.length = 0;
    expect(await refusal(outboundFetch(`http://127.0.0.1:${port}/hop/1`, { policy: local, maxRedirects: 3 }))).toBe(
      "redirects",
    );
    expect(seen).toEqual(["GET /hop/1", "GET /hop/2", "GET /hop/3", "GET /hop/4"]);
  });

  it("re-checks every redirect: a hop to a port, address or user info the policy refuses is never sent", async () => {
    otherSeen.length = 0;
    const onlyFirst = { allowPrivate: true, ports: [port] };
    expect(await refusal(outboundFetch(`http://127.0.0.1:${port}/to-other`, { policy: onlyFirst }))).toBe("port");
    expect(await refusal(outboundFetch(`http://127.0.0.1:${port}/to-metadata`, { policy: local }))).toBe("address");
    expect(await refusal(outboundFetch(`http://127.0.0.1:${port}/to-userinfo`, { policy: local }))).toBe("userinfo");
    expect(otherSeen).toEqual([]);
    // The same redirect under a policy that allows it is followed.
    const res = await outboundFetch(`http://127.0.0.1:${port}/to-other`, { policy: local });
    expect(res.status).toBe(200);
    expect(otherSeen).toEqual(["GET /x"]);
  });

  it("answers like fetch: status, headers and body", async () => {
    const res = await outboundFetch(`http://127.0.0.1:${port}/x.jpg`, { policy: local });
    expect([res.status, res.headers.get("content-type"), await res.text()]).toEqual([200, "image/jpeg", "abc"]);
    const head = await outboundFetch(`http://127.0.0.1:${port}/x.jpg`, { method: "HEAD", policy: local });
    expect([head.status, head.headers.get("content-length")]).toEqual([200, "3"]);
  });
});
