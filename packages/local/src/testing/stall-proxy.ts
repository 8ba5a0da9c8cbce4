import { connect, createServer, type Server, type Socket } from "node:net";

/**
 * A TCP proxy in front of an HTTP endpoint (DynamoDB Local, fauxqs) that can make requests
 * hang, as a hung connection to AWS would: once armed, the matching request (its bytes contain
 * `marker`, after `skip` matching ones) is forwarded and its answer never delivered
 * (`mode: "response"`: the write took effect, the caller never learns it), or forwarded and
 * its connection reset once the answer arrives (`mode: "reset"`: the write took effect and
 * the caller learns at once that the answer is lost, no timeout needed), or not forwarded at
 * all (`mode: "request"`). Everything else passes through. Counts the stalled connections the
 * client gave up on (closed its side), which is how a test sees that a timeout or an abort
 * reached the socket. `times` stalls only that many matching requests (then they pass again):
 * an answer lost once, as the SDK's retry of it then gets through.
 *
 * @example
 * const proxy = await stallProxy(dynamoEndpoint);
 * proxy.stall({ marker: post.id, skip: 1 }); // the second request about the post hangs
 */
export interface StallProxy {
  url: string;
  stall(rule: { marker: string; skip?: number; mode?: StallMode; times?: number }): void;
  /** Stops stalling new requests and cuts the stalled connections. */
  release(): void;
  /** Requests held so far. */
  readonly stalled: number;
  /** Held connections the client closed itself (it gave up: a timeout or an abort). */
  readonly abandoned: number;
  close(): Promise<void>;
}

export type StallMode = "response" | "request" | "reset";

export async function stallProxy(target: string): Promise<StallProxy> {
  const { hostname, port } = new URL(target);
  let rule: { marker: string; skip: number; mode: StallMode; times: number } | undefined;
  let seen = 0;
  let stalled = 0;
  let abandoned = 0;
  const held = new Set<Socket>();
  const sockets = new Set<Socket>();

  const server: Server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    sockets.add(client).add(upstream);
    let hold: StallMode | undefined;
    client.on("data", (chunk: Buffer) => {
      if (!hold && rule && stalled < rule.times && chunk.includes(rule.marker) && seen++ >= rule.skip) {
        hold = rule.mode;
        stalled++;
        held.add(client);
      }
      if (hold !== "request") upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (!hold) client.write(chunk);
      else if (hold === "reset") client.resetAndDestroy();
    });
    client.on("close", () => {
      if (held.has(client)) {
        held.delete(client);
        abandoned++;
      }
      upstream.destroy();
      sockets.delete(client);
    });
    upstream.on("close", () => {
      client.destroy();
      sockets.delete(upstream);
    });
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as { port: number };

  return {
    url: `http://127.0.0.1:${address.port}`,
    stall(r) {
      rule = {
        marker: r.marker,
        skip: r.skip ?? 0,
        mode: r.mode ?? "response",
        times: r.times ?? Number.POSITIVE_INFINITY,
      };
      seen = 0;
      stalled = 0;
      abandoned = 0;
    },
    release() {
      rule = undefined;
      for (const s of held) {
        held.delete(s);
        s.destroy();
      }
    },
    get stalled() {
      return stalled;
    },
    get abandoned() {
      return abandoned;
    },
    async close() {
      rule = undefined;
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
