import { createServer as createTcpServer, type Server, type Socket } from "node:net";
import { type Simulators, startSimulators } from "@studio/local/simulators/index";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PlatformError } from "./errors";
import { facebookAdapter } from "./facebook";
import { tiktokAdapter } from "./tiktok";
import type { AccountCredentials } from "./types";

/**
 * The final call's network failures, over real sockets: one that proves the request never
 * left (refused, DNS, a TLS handshake that fails or never ends) is `retryable` — the platform
 * never received it; one after the request was written (the simulators' `reset`, `timeout`,
 * `response_lost`) stays `unknown_outcome`. The simulators' journal shows which calls arrived.
 */
let sims: Simulators;
const servers: Server[] = [];
const sockets: Socket[] = [];

async function failure(p: Promise<unknown>): Promise<PlatformError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof PlatformError) return e;
    throw e;
  }
  throw new Error("expected a PlatformError");
}

/** A TCP server on a free port: `silent` never speaks (a TLS handshake hangs), `garbage` answers nonsense. */
async function tcp(kind: "silent" | "garbage"): Promise<number> {
  const server = createTcpServer((socket) => {
    sockets.push(socket);
    socket.on("error", () => undefined);
    if (kind === "garbage") socket.end("HTTP/1.1 200 OK\r\n\r\nnot tls at all\r\n");
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return (server.address() as { port: number }).port;
}

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

beforeAll(async () => {
  sims = await startSimulators({ port: 0 });
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  for (const s of servers) s.close();
  await sims.stop();
});
beforeEach(() => sims.control.reset());

const creds = (): AccountCredentials => {
  const a = sims.control.registerAccount({ platform: "facebook" });
  return { externalAccountId: a.accountId, accessToken: a.accessToken };
};
const post = (baseUrl: string, c = creds(), timeoutMs = 2_000) =>
  facebookAdapter({ baseUrl, timeoutMs }).createPost(c, { caption: `c ${Math.random()}`, media: [] });

describe("the final call's network failures (connected)", () => {
  it("connection refused: not sent → retryable", async () => {
    const e = await failure(post(`http://127.0.0.1:${await closedPort()}/facebook/v23.0`));
    expect([e.kind, e.code]).toEqual(["retryable", "platform.unreachable"]);
    expect(e.message).toContain("not sent");
  });

  it("a name that does not resolve: not sent → retryable", async () => {
    const e = await failure(post("http://studio-simulator.invalid/facebook/v23.0"));
    expect([e.kind, e.code]).toEqual(["retryable", "platform.unreachable"]);
  });

  it("a TLS handshake that never ends (the timeout runs out while connecting): not sent → retryable", async () => {
    const port = await tcp("silent");
    const e = await failure(post(`https://127.0.0.1:${port}/facebook/v23.0`, creds(), 300));
    expect([e.kind, e.code]).toEqual(["retryable", "platform.unreachable"]);
    expect(e.message).toContain("no connection before the timeout");
  });

  it("a TLS setup failure before the request was written: not sent → retryable", async () => {
    const port = await tcp("garbage");
    const e = await failure(post(`https://127.0.0.1:${port}/facebook/v23.0`));
    expect([e.kind, e.code]).toEqual(["retryable", "platform.unreachable"]);
  });

  it.each([
    ["reset", {}],
    ["timeout", { delayMs: 3_000 }],
    ["response_lost", {}],
  ] as const)(
    "%s after the request was written: unknown outcome (the call reached the platform)",
    async (type, extra) => {
      const c = creds();
      sims.control.addFault({ operation: "facebook.create_post", type, ...extra });
      const e = await failure(post(sims.facebookUrl, c, 500));
      expect([e.kind, e.code]).toEqual(["unknown_outcome", "platform.outcome_unknown"]);
      const journal = sims.control.journal({ accountId: c.externalAccountId });
      expect(journal.map((j) => [j.fault, j.created?.length ?? 0])).toEqual([[type, type === "response_lost" ? 1 : 0]]);
    },
  );

  it("TikTok init refused at connect: not sent → retryable; cut after writing: unknown", async () => {
    const a = sims.control.registerAccount({ platform: "tiktok" });
    const c = { externalAccountId: a.accountId, accessToken: a.accessToken };
    const init = (baseUrl: string) =>
      tiktokAdapter({ baseUrl, timeoutMs: 2_000, clientKey: "", clientSecret: "" }).initVideo(c, {
        title: "t",
        videoUrl: `${sims.mediaUrl}/video.mp4`,
        privacyLevel: "SELF_ONLY",
      });
    expect((await failure(init(`http://127.0.0.1:${await closedPort()}/tiktok`))).kind).toBe("retryable");
    sims.control.addFault({ operation: "tiktok.init", type: "reset" });
    expect((await failure(init(sims.tiktokUrl))).kind).toBe("unknown_outcome");
    expect(sims.control.journal().map((j) => j.fault)).toEqual(["reset"]);
  });
});
