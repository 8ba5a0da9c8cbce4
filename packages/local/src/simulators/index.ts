import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { controlRoute, createControl, type SimulatorControl } from "./control";
import { facebook } from "./facebook";
import { facebookInsights, instagramInsights, tiktokQuery } from "./insights";
import { instagram } from "./instagram";
import { serveMedia } from "./media";
import { run } from "./pipeline";
import { json, readBody, type SimRequest, send } from "./sim-http";
import { type SimConfig, SimState } from "./state";
import { tiktok } from "./tiktok";

export type { PublishedGroup, RegisterAccountInput, RegisteredAccount, SimulatorControl } from "./control";
export type { FaultSpec, FaultType } from "./faults";
export type { SimConfig } from "./state";

export const GRAPH_VERSION = "v23.0";

export interface Simulators {
  /** Origin, e.g. `http://127.0.0.1:43123`. */
  url: string;
  /** `{url}/instagram/v23.0` → STUDIO_INSTAGRAM_API_URL. */
  instagramUrl: string;
  /** `{url}/facebook/v23.0` → STUDIO_FACEBOOK_API_URL. */
  facebookUrl: string;
  /** `{url}/tiktok` → STUDIO_TIKTOK_API_URL. */
  tiktokUrl: string;
  /** `{url}/media`: fake media host (`/media/image.jpg`, `/media/video.mp4`, …). */
  mediaUrl: string;
  /** `{url}/control`: the HTTP twin of `control`. */
  controlUrl: string;
  control: SimulatorControl;
  stop(): Promise<void>;
}

/**
 * Starts the Instagram, Facebook and TikTok simulators, a media host and the control API on one
 * port (0: any free port).
 *
 * @example
 * const sims = await startSimulators({ port: 0, config: { containerReadyMs: 50 } });
 * process.env.STUDIO_INSTAGRAM_API_URL = sims.instagramUrl;
 * sims.control.addFault({ operation: "instagram.media_publish", type: "response_lost" });
 */
export async function startSimulators(
  opts: { port?: number; host?: string; config?: Partial<SimConfig> } = {},
): Promise<Simulators> {
  const state = new SimState(opts.config);
  const control = createControl(state);
  let selfOrigin = "";

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://sim");
    const body = req.method === "GET" || req.method === "HEAD" ? {} : await readBody(req);
    const make = (prefix: RegExp): SimRequest => ({
      req,
      res,
      method: req.method ?? "GET",
      path: url.pathname.replace(prefix, "") || "/",
      url,
      query: url.searchParams,
      body,
      headers: req.headers,
    });
    const p = url.pathname;
    if (p.startsWith("/instagram/")) {
      const sim = make(/^\/instagram(\/v\d+\.\d+)?/);
      if ((await instagramInsights(state, sim)) || (await instagram(state, sim, selfOrigin))) return;
    } else if (p.startsWith("/facebook/")) {
      const sim = make(/^\/facebook(\/v\d+\.\d+)?/);
      if ((await facebookInsights(state, sim)) || (await facebook(state, sim, selfOrigin))) return;
    } else if (p.startsWith("/tiktok/")) {
      const sim = make(/^\/tiktok/);
      if ((await tiktokQuery(state, sim)) || (await tiktok(state, sim, selfOrigin))) return;
    } else if (p.startsWith("/media/") && (req.method === "GET" || req.method === "HEAD")) {
      const name = decodeURIComponent(p.slice("/media/".length));
      const sim = make(/^\/media/);
      return run(state, sim, {
        family: "media",
        platform: "media",
        operation: "media.fetch",
        accountId: name,
        perform: (fault) => {
          serveMedia(req, res, name, fault);
          return { status: 0 };
        },
      });
    } else if (p.startsWith("/control/")) {
      const reply = controlRoute(control, make(/^\/control/));
      if (reply) return send(res, reply);
    } else if (p === "/health") return send(res, json(200, { status: "ok" }));
    send(
      res,
      json(404, { error: { message: `Unknown path ${req.method} ${p}`, type: "GraphMethodException", code: 100 } }),
    );
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) send(res, json(500, { error: { message: String(err), code: 1 } }));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${opts.host ?? "127.0.0.1"}:${port}`;
  selfOrigin = url;
  return {
    url,
    instagramUrl: `${url}/instagram/${GRAPH_VERSION}`,
    facebookUrl: `${url}/facebook/${GRAPH_VERSION}`,
    tiktokUrl: `${url}/tiktok`,
    mediaUrl: `${url}/media`,
    controlUrl: `${url}/control`,
    control,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
