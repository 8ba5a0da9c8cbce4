import { type OpsCommand, positiveInt } from "../program";
import { table } from "../table";

interface Unconfirmed {
  id: string;
  workspaceId: string;
  platform: string;
  caption: string;
  scheduledFor: string | null;
  finalCallAt: string | null;
  containerId: string | null;
  publishId: string | null;
  lastError: { code: string; message: string } | null;
  nextCheckAt: string | null;
  check: string;
}

const short = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** `ops unconfirmed`: every workspace's unconfirmed posts, oldest first, and what to check before settling. */
export const unconfirmedCommand: OpsCommand = (program, ctx) => {
  program
    .command("unconfirmed")
    .description(
      "posts of every workspace whose outcome Studio could not establish, oldest first; settle with POST /v1/ops/posts/{id}/settle",
    )
    .option("--limit <n>", "how many (1-1000)", positiveInt, 100)
    .option("--why", "also print each post's reason and what to look at on the platform", false)
    .action(async (o: { limit: number; why: boolean }) => {
      const { call, json, out } = ctx();
      const res = await call<{ items: Unconfirmed[]; total: number }>("GET", `/v1/ops/unconfirmed?limit=${o.limit}`);
      if (json) return out(JSON.stringify(res, null, 2));
      if (!res.items.length) return out("no unconfirmed posts");
      out(
        table(
          ["post", "workspace", "platform", "final call", "handle", "code", "next check", "caption"],
          res.items.map((p) => [
            p.id,
            p.workspaceId,
            p.platform,
            p.finalCallAt,
            p.publishId ?? p.containerId,
            p.lastError?.code,
            p.nextCheckAt ?? "stopped",
            short(p.caption.replace(/\s+/g, " "), 40),
          ]),
        ),
      );
      if (res.total > res.items.length) out(`\n${res.items.length} of ${res.total} shown (--limit)`);
      if (o.why)
        for (const p of res.items)
          out(`\n${p.id}: ${p.lastError?.message ?? "no reason recorded"}\n  check: ${p.check}`);
    });
};
