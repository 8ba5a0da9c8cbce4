import { SingleBar } from "cli-progress";
import { Argument } from "commander";
import { CliError, EXIT } from "../client";
import { type OpsCommand, positiveInt } from "../program";
import { table } from "../table";

const QUEUES = ["publish", "metrics", "report", "competitors"];

interface DeadLetter {
  messageId: string;
  body: unknown;
  receiveCount: number;
  sentAt: string | null;
  firstFailure: string | null;
  lastFailure: string | null;
}

/** `--filter postId=…`: the replay API filters dead letters by post id. */
function parseFilter(items: string[]): { postId?: string } {
  const out: { postId?: string } = {};
  for (const f of items) {
    const [k, ...v] = f.split("=");
    if (k !== "postId" || !v.length) throw new CliError(`--filter supports postId=<id>, got "${f}"`, EXIT.usage);
    out.postId = v.join("=");
  }
  return out;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** `ops peek <queue>` and `ops replay <queue>`: the dead letters of a queue. */
export const deadLettersCommand: OpsCommand = (program, ctx) => {
  program
    .command("peek")
    .description("show dead letters with their first and last failure reason (left in the DLQ)")
    .addArgument(queueArgument())
    .option("--limit <n>", "how many (1-100)", positiveInt, 20)
    .action(async (queue: string, o: { limit: number }) => {
      const { call, json, out } = ctx();
      const { items } = await call<{ items: DeadLetter[] }>("GET", `/v1/ops/dlq/${queue}?limit=${o.limit}`);
      if (json) return out(JSON.stringify(items, null, 2));
      if (!items.length) return out(`no dead letters in ${queue}`);
      out(
        table(
          ["message", "receives", "sent at", "body", "first failure", "last failure"],
          items.map((d) => [
            d.messageId,
            d.receiveCount,
            d.sentAt,
            JSON.stringify(d.body),
            d.firstFailure,
            d.lastFailure,
          ]),
        ),
      );
    });

  program
    .command("replay")
    .description("send dead letters back to their queue (each is checked against its post: nothing runs twice)")
    .addArgument(queueArgument())
    .option("--limit <n>", "at most this many", positiveInt, 100)
    .option("--dry-run", "only say what would be replayed", false)
    .option("--filter <key=value>", "only letters matching (postId=<id>); repeatable", collect, [])
    .action(async (queue: string, o: { limit: number; dryRun: boolean; filter: string[] }) => {
      const { call, json, out } = ctx();
      const filter = parseFilter(o.filter);
      if (o.dryRun) {
        const res = await call<{ replayed: number; skipped: number }>("POST", `/v1/ops/dlq/${queue}/replay`, {
          limit: o.limit,
          dryRun: true,
          ...filter,
        });
        if (json) return out(JSON.stringify(res));
        return out(`dry run: ${res.replayed} would be replayed, ${res.skipped} skipped by the filter`);
      }
      const bar = json ? undefined : new SingleBar({ format: "replaying {bar} {value}/{total} | skipped {skipped}" });
      bar?.start(o.limit, 0, { skipped: 0 });
      let replayed = 0;
      let skipped = 0;
      while (replayed < o.limit) {
        const res = await call<{ replayed: number; skipped: number }>("POST", `/v1/ops/dlq/${queue}/replay`, {
          limit: Math.min(10, o.limit - replayed),
          ...filter,
        });
        replayed += res.replayed;
        skipped = res.skipped;
        bar?.update(replayed, { skipped });
        if (res.replayed === 0) break;
      }
      bar?.setTotal(replayed);
      bar?.stop();
      out(json ? JSON.stringify({ replayed, skipped }) : `replayed ${replayed}, skipped ${skipped}`);
    });
};

function queueArgument() {
  return new Argument("<queue>", "the queue whose DLQ to read").choices(QUEUES);
}
