import { setTimeout as sleep } from "node:timers/promises";
import type { Runtime } from "./runtime/runtime";

/** What the metrics demo needs of the demo's context (demo.ts passes its own). */
export interface MetricsDemoContext {
  rt: Runtime;
  print: (line: string) => void;
  apiKey?: string;
  publish?: { rows: Array<{ postId: string; platform: string; status: string; label: string }> };
}

type Api = (
  method: string,
  path: string,
  opts?: { token?: string; body?: unknown },
  // biome-ignore lint/suspicious/noExplicitAny: the demo reads answers' fields freely
) => Promise<{ status: number; body: any }>;

const api =
  (ctx: MetricsDemoContext): Api =>
  async (method, path, opts = {}) => {
    const res = await fetch(`${ctx.rt.apiUrl}${path}`, {
      method,
      headers: {
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        ...(opts.body ? { "content-type": "application/json" } : {}),
      },
      body: opts.body ? JSON.stringify(opts.body) : undefined,
    });
    return { status: res.status, body: await res.json().catch(() => undefined) };
  };

/** Fires a schedule by hand and waits (≤ 60 s) until its run and whole fan-out finished. */
async function runAndWait(call: Api, admin: string, schedule: string) {
  const fired = await call("POST", `/v1/ops/schedules/${schedule}/run`, { token: admin });
  const runId = fired.body?.runId as string | undefined;
  const until = Date.now() + 60_000;
  while (runId && Date.now() < until) {
    const { body } = await call("GET", `/v1/ops/jobs?kind=${schedule}&limit=5`, { token: admin });
    const run = (body?.items ?? []).find((r: { id: string }) => r.id === runId);
    if (run?.finishedAt)
      return run as { id: string; status: string; durationMs: number; counts: Record<string, number> };
    await sleep(300);
  }
  return undefined;
}

const pad = (rows: string[][]) => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd(),
  );
};

/**
 * The demo's metrics and competitors part (issue 9): a metrics refresh of the posts the publish
 * walk published, one of them deleted on the platform first, with a snapshot per post; then a
 * competitor on each platform, refreshed, each in its state.
 */
export const metricsDemoSteps = [
  {
    name: "metrics refresh (one post deleted on the platform first)",
    run: async (ctx: MetricsDemoContext) => {
      const sims = ctx.rt.simulators;
      const call = api(ctx);
      if (!ctx.apiKey || !sims) return ctx.print("  (skipped: no workspace or external platforms)");
      if (!ctx.rt.pollers.metrics) return ctx.print("  (skipped: the metrics queue is not polled)");
      const published = (ctx.publish?.rows ?? []).filter((r) => r.status === "published");
      if (!published.length) return ctx.print("  (skipped: no published post)");
      const posts = await Promise.all(
        published.map(async (r) => ({
          row: r,
          post: (await call("GET", `/v1/posts/${r.postId}`, { token: ctx.apiKey })).body,
        })),
      );
      const victim = posts.find((p) => p.row.platform === "instagram" && p.post?.platformPostId) ?? posts[0];
      if (victim?.post?.platformPostId) {
        sims.control.deletePost(victim.row.platform as "instagram", victim.post.platformPostId);
        ctx.print(`  deleted on ${victim.row.platform}: ${victim.post.platformPostId} (${victim.row.label})`);
      }
      const run = await runAndWait(call, ctx.rt.adminToken, "metricsRefresh");
      if (!run) return ctx.print("  the metrics run did not finish within 60 s");
      ctx.print(
        `  run ${run.id}: ${run.status} in ${(run.durationMs / 1000).toFixed(1)} s ${JSON.stringify(run.counts)}`,
      );
      const rows = [["post", "platform", "snapshots", "latest values"]];
      for (const { row } of posts) {
        const [m, p] = await Promise.all([
          call("GET", `/v1/posts/${row.postId}/metrics`, { token: ctx.apiKey }),
          call("GET", `/v1/posts/${row.postId}`, { token: ctx.apiKey }),
        ]);
        const items = (m.body?.items ?? []) as Array<{ values: Record<string, number> }>;
        const latest = items.at(-1)?.values;
        rows.push([
          row.label,
          row.platform,
          String(items.length),
          p.body?.removedOnPlatformAt
            ? `removed on the platform at ${p.body.removedOnPlatformAt}`
            : latest
              ? Object.entries(latest)
                  .sort(([a], [b]) => a.localeCompare(b))
                  .map(([k, v]) => `${k}=${v}`)
                  .join(" ")
              : "(none yet)",
        ]);
      }
      for (const line of pad(rows)) ctx.print(`  ${line}`);
    },
  },
  {
    name: "competitors (one per platform, each in its state)",
    run: async (ctx: MetricsDemoContext) => {
      const sims = ctx.rt.simulators;
      const call = api(ctx);
      if (!ctx.apiKey || !sims) return ctx.print("  (skipped: no workspace or external platforms)");
      if (!ctx.rt.pollers.competitors) return ctx.print("  (skipped: the competitors queue is not polled)");
      sims.control.addPublicAccount({
        platform: "instagram",
        handle: "rival_studio",
        followers: 12_400,
        mediaCount: 9,
      });
      sims.control.addPublicAccount({ platform: "facebook", handle: "RivalStudioPage", followers: 3_100 });
      for (const [platform, handle] of [
        ["instagram", "rival_studio"],
        ["instagram", "no_such_account_here"],
        ["facebook", "RivalStudioPage"],
        ["tiktok", "rival.studio"],
      ]) {
        const res = await call("POST", "/v1/competitors", { token: ctx.apiKey, body: { platform, handle } });
        ctx.print(`POST /v1/competitors (${platform} @${handle}) → ${res.status} ${res.body?.status ?? ""}`);
      }
      const run = await runAndWait(call, ctx.rt.adminToken, "competitorsRefresh");
      if (run) ctx.print(`  run ${run.id}: ${run.status} ${JSON.stringify(run.counts)}`);
      const { body } = await call("GET", "/v1/competitors", { token: ctx.apiKey });
      const rows = [["platform", "handle", "status", "numbers / reason"]];
      for (const c of body?.items ?? []) {
        const m = await call("GET", `/v1/competitors/${c.id}/metrics`, { token: ctx.apiKey });
        const latest = (m.body?.items ?? []).at(-1)?.values as Record<string, number> | undefined;
        rows.push([
          c.platform,
          `@${c.handle}`,
          c.status,
          latest
            ? Object.entries(latest)
                .sort(([a], [b]) => a.localeCompare(b))
                .map(([k, v]) => `${k}=${v}`)
                .join(" ")
            : (c.statusReason ?? ""),
        ]);
      }
      for (const line of pad(rows)) ctx.print(`  ${line}`);
    },
  },
];
