import type { IncomingMessage, ServerResponse } from "node:http";

/** One request as the simulators see it: body already read and parsed (JSON, form or none). */
export interface SimRequest {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  /** Path without the platform prefix, e.g. `/17841/media` under `/instagram/v23.0`. */
  path: string;
  url: URL;
  query: URLSearchParams;
  /** Form or JSON fields (query parameters are not merged in). */
  body: Record<string, unknown>;
  headers: IncomingMessage["headers"];
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export const json = (status: number, body: unknown, headers?: Record<string, string>): Reply => ({
  status,
  body,
  headers,
});

export async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 1_000_000) throw new Error("body too large");
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (!text) return {};
  const type = String(req.headers["content-type"] ?? "");
  if (type.includes("application/json")) {
    try {
      const parsed = JSON.parse(text);
      return parsed && typeof parsed === "object" ? parsed : {};
    } catch {
      return { __invalid_json: true };
    }
  }
  return Object.fromEntries(new URLSearchParams(text));
}

export function send(res: ServerResponse, reply: Reply) {
  if (res.headersSent || res.destroyed) return;
  const payload = reply.body === undefined ? "" : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    "content-type": "application/json; charset=UTF-8",
    "content-length": Buffer.byteLength(payload),
    ...reply.headers,
  });
  res.end(payload);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Never answers: resolves when the client gives up (or `capMs` passes, then the socket is cut). */
export function hang(sim: SimRequest, capMs?: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = capMs
      ? setTimeout(() => {
          sim.req.socket.destroy();
          done();
        }, capMs)
      : undefined;
    sim.res.on("close", done);
    sim.req.socket.on("close", done);
  });
}

/** Cuts the connection without an answer (the client sees a reset / "other side closed"). */
export function cut(sim: SimRequest) {
  sim.req.socket.destroy();
}
