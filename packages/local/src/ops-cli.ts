/**
 * Studio's operator tool. Talks to the API's admin routes (so it works the same against the
 * local runtime and a deployed stage):
 *
 *   pnpm ops queues                                  queues with visible / in flight / delayed / DLQ depth
 *   pnpm ops peek <queue> [--limit 20]               dead letters with first and last failure reason
 *   pnpm ops replay <queue> [--limit 100] [--dry-run] [--filter postId=…]
 *
 * Reads STUDIO_API_URL (default http://localhost:$STUDIO_PORT) and STUDIO_ADMIN_TOKEN.
 */
import { parseArgs } from "node:util";
import { SingleBar } from "cli-progress";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    limit: { type: "string" },
    "dry-run": { type: "boolean", default: false },
    filter: { type: "string", multiple: true },
    url: { type: "string" },
    token: { type: "string" },
  },
});

const api = values.url ?? process.env.STUDIO_API_URL ?? `http://localhost:${process.env.STUDIO_PORT ?? 3000}`;
const token = values.token ?? process.env.STUDIO_ADMIN_TOKEN;

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${api}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) {
    const err = json.error as { code?: string; message?: string } | undefined;
    throw new Error(`${res.status} ${err?.code ?? ""} ${err?.message ?? ""}`.trim());
  }
  return json;
}

/** `--filter postId=…`: the replay API filters dead letters by post id. */
function parseFilter(items: string[] | undefined): { postId?: string } {
  const out: { postId?: string } = {};
  for (const f of items ?? []) {
    const [k, ...v] = f.split("=");
    if (k !== "postId" || !v.length) throw new Error(`--filter supports postId=<id>, got "${f}"`);
    out.postId = v.join("=");
  }
  return out;
}

async function main() {
  if (!token) throw new Error("set STUDIO_ADMIN_TOKEN (printed by the local runtime at start) or pass --token");
  const [command, queue] = positionals;
  const limit = values.limit ? Number(values.limit) : undefined;
  switch (command) {
    case "queues": {
      const { items } = (await call("GET", "/v1/ops/queues")) as { items: Record<string, unknown>[] };
      console.table(items);
      return;
    }
    case "peek": {
      if (!queue) throw new Error("usage: peek <queue>");
      const { items } = (await call("GET", `/v1/ops/dlq/${queue}?limit=${limit ?? 20}`)) as { items: unknown[] };
      console.log(items.length ? JSON.stringify(items, null, 2) : `no dead letters in ${queue}`);
      return;
    }
    case "replay": {
      if (!queue) throw new Error("usage: replay <queue> [--limit N] [--dry-run] [--filter key=value]");
      const total = limit ?? 100;
      const filter = parseFilter(values.filter);
      const dryRun = values["dry-run"];
      if (dryRun) {
        const out = await call("POST", `/v1/ops/dlq/${queue}/replay`, { limit: total, dryRun, ...filter });
        console.log(`dry run: ${out.replayed} would be replayed, ${out.skipped} skipped by the filter`);
        return;
      }
      const bar = new SingleBar({ format: "replaying {bar} {value}/{total} | skipped {skipped}" });
      bar.start(total, 0, { skipped: 0 });
      let replayed = 0;
      let skipped = 0;
      while (replayed < total) {
        const out = (await call("POST", `/v1/ops/dlq/${queue}/replay`, {
          limit: Math.min(10, total - replayed),
          ...filter,
        })) as { replayed: number; skipped: number };
        replayed += out.replayed;
        skipped = out.skipped;
        bar.update(replayed, { skipped });
        if (out.replayed === 0) break;
      }
      bar.setTotal(replayed);
      bar.stop();
      console.log(`replayed ${replayed}, skipped ${skipped}`);
      return;
    }
    default:
      console.log(
        "usage: pnpm ops <queues | peek <queue> | replay <queue> [--limit N] [--dry-run] [--filter postId=…]>",
      );
      process.exitCode = command ? 2 : 0;
  }
}

main().catch((err) => {
  console.error(`ops: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
