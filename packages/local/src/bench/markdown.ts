import type { ApiFigure } from "./api-latency";
import type { DelayBreakdown } from "./delay-breakdown";

interface P {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface BenchResults {
  date: string;
  machine: { cores: number; cpu: string; node: string };
  api?: ApiFigure[];
  dispatcher?: {
    posts: number;
    dispatcher: { ms: number; postsPerSec: number; sent: number };
    raw: { ms: number; postsPerSec: number };
    ratio: number;
  };
  delay?: Delay;
  delaySameInstant?: Delay;
  burst?: Burst;
}

interface Delay {
  posts: number;
  statuses: Record<string, number>;
  delayMs: P;
  delayByDueSecondMs?: Record<string, P>;
  eventLoopDelayMs?: P;
  pollerBatchesInFlightMax?: number;
  perPlatform: Record<
    string,
    {
      published: number;
      delayMs: P;
      breakdownMs?: DelayBreakdown;
      readsPerPost: number;
      writesPerPost: number;
      ownWritesPerPost: number;
    }
  >;
  dynamo: { sharedPerPost: { reads: number; writes: number } };
}

interface Burst {
  posts: number;
  accounts: number;
  statuses: Record<string, number>;
  enqueued: number;
  lastSentSecondsAfterMinuteStart: number | null;
  sentAfterDue: number;
  allPublishedSecondsAfterMinuteStart: number | null;
  lastPublishedSecondsAfterMinuteEnd: number | null;
  delayMs: P;
  publishedPerSecond: number;
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const ok = (b: boolean) => (b ? "met" : "**missed**");

/** The results as the markdown table committed in bench/results/latest.md. */
export function renderMarkdown(r: BenchResults): string {
  const where = `${r.machine.cores} cores, ${r.machine.cpu}, Node ${r.machine.node}, ${r.date.slice(0, 16).replace("T", " ")} UTC`;
  const row = (figure: string, value: string, target: string, met: string) =>
    `| ${figure} | ${value} | ${target} | ${met} | ${r.machine.cores} | ${r.machine.cpu} | ${r.date.slice(0, 10)} |`;
  const lines = [
    "# Studio publish pipeline: benchmark",
    "",
    `Run: ${where}. Command: \`pnpm bench\`. Local runtime in one process (DynamoDB Local with JVM defaults,`,
    "fauxqs, platform simulators with raised per-token limits), the real every-minute dispatcher.",
    "",
    "| figure | value | target (issue 4) | | cores | CPU | date |",
    "|---|---|---|---|---|---|---|",
  ];
  if (r.delay) {
    const d = r.delay;
    lines.push(
      row(
        `publish delay, ${d.posts} posts due in one minute (one per second of it)`,
        `p50 ${s(d.delayMs.p50)}, p99 ${s(d.delayMs.p99)}, max ${s(d.delayMs.max)} (${d.delayMs.n} published)`,
        "p99 ≤ 2 s",
        ok(d.delayMs.p99 <= 2000),
      ),
    );
    for (const [p, f] of Object.entries(d.perPlatform))
      lines.push(
        row(`  ${p}: publish delay`, `p50 ${s(f.delayMs.p50)}, p99 ${s(f.delayMs.p99)} (${f.published})`, "", ""),
      );
    for (const [p, f] of Object.entries(d.perPlatform))
      lines.push(
        row(
          `  ${p}: DynamoDB reads / writes per published post`,
          `${f.readsPerPost} / ${f.writesPerPost} (own ${f.ownWritesPerPost} writes + ${d.dynamo.sharedPerPost.writes} shared)`,
          "≤ 6 writes",
          ok(f.writesPerPost <= 6),
        ),
      );
  }
  if (r.delaySameInstant) {
    const d = r.delaySameInstant;
    lines.push(
      row(
        `publish delay, ${d.posts} posts due at the very same instant (worst case)`,
        `p50 ${s(d.delayMs.p50)}, p99 ${s(d.delayMs.p99)}, max ${s(d.delayMs.max)} (${d.delayMs.n} published)`,
        "",
        "",
      ),
    );
  }
  if (r.burst) {
    const b = r.burst;
    lines.push(
      row(
        `${b.posts} posts due in one minute (${b.accounts} accounts): dispatched`,
        b.lastSentSecondsAfterMinuteStart === null
          ? "n/a"
          : `last message sent ${b.lastSentSecondsAfterMinuteStart} s after the minute began; ${b.sentAfterDue} of ${b.enqueued} recorded sends after their due second`,
        "within that minute",
        ok((b.lastSentSecondsAfterMinuteStart ?? 99) <= 60 && b.sentAfterDue === 0),
      ),
      row(
        `${b.posts} posts due in one minute: published`,
        `${b.statuses.published ?? 0} published, last ${b.allPublishedSecondsAfterMinuteStart ?? "n/a"} s after the minute began; lateness p50 ${s(b.delayMs.p50)}, p99 ${s(b.delayMs.p99)}; ${b.publishedPerSecond} posts/s`,
        "",
        "",
      ),
    );
  }
  if (r.dispatcher) {
    const d = r.dispatcher;
    lines.push(
      row(
        `dispatcher throughput (${d.posts} due posts)`,
        `${d.dispatcher.postsPerSec} posts/s vs raw Query+SendMessageBatch+UpdateItem ${d.raw.postsPerSec} posts/s = ${Math.round(d.ratio * 100)}%`,
        "≥ 70% of raw",
        ok(d.ratio >= 0.7),
      ),
    );
  }
  if (r.api) {
    for (const f of r.api)
      lines.push(
        row(
          `API ${f.route}`,
          `p50 ${f.p50Ms} ms, p99 ${f.p99Ms} ms, ${f.reqPerSec} req/s${f.p99VsBare ? ` (p99 ${f.p99VsBare}× bare, ${Math.round((f.reqPerSecVsBare ?? 0) * 100)}% of its req/s)` : ""}${f.non2xx ? `, ${f.non2xx} non-2xx` : ""}`,
          f.p99VsBare === undefined ? "" : "p99 ≤ 2× bare",
          f.p99VsBare === undefined ? "" : ok(f.p99VsBare <= 2),
        ),
      );
  }
  lines.push("");
  if (r.delay) lines.push(...breakdownMarkdown(r.delay));
  return lines.join("\n");
}

/** Where the publish delay went, per platform (bench/delay-breakdown.ts). */
function breakdownMarkdown(d: Delay): string[] {
  const pp = (x: P | undefined) => (x?.n ? `${x.p50} / ${x.p99}` : "–");
  const rows = Object.entries(d.perPlatform).filter(([, f]) => f.breakdownMs);
  if (!rows.length) return [];
  const out = [
    "### Where the publish delay went",
    "",
    "ms from the post's due time (p50 / p99; negative = before it): the worker picked up the message",
    "that claimed it, claimed it, created the Instagram container, recorded the final call; then",
    "from the final call to `publishedAt` (the call, TikTok's processing and its polls, the last write).",
    "",
    "| platform | delay | message picked up | claimed | container created | final call | final call → published | first attempt |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const [p, f] of rows) {
    const b = f.breakdownMs as DelayBreakdown;
    out.push(
      `| ${p} | ${pp(f.delayMs)} | ${pp(b.received)} | ${pp(b.claimed)} | ${pp(b.containerCreated)} | ${pp(b.finalCall)} | ${pp(b.finalCallToPublished)} | ${b.firstAttempt} of ${f.published} |`,
    );
  }
  out.push("");
  if (d.delayByDueSecondMs) {
    const by = Object.entries(d.delayByDueSecondMs)
      .map(([sec, x]) => `seconds ${sec} of the minute: ${pp(x)} ms (${x.n} posts)`)
      .join("; ");
    out.push(`Delay by when in the minute the post fell due (the dispatcher runs at its start): ${by}.`);
  }
  if (d.eventLoopDelayMs)
    out.push(
      `Event-loop delay of the bench process (runtime, simulators and bench in one process) while the posts went out: p50 ${d.eventLoopDelayMs.p50} ms, p99 ${d.eventLoopDelayMs.p99} ms, max ${d.eventLoopDelayMs.max} ms.`,
    );
  if (d.pollerBatchesInFlightMax !== undefined)
    out.push(
      `Publish poller: at most ${d.pollerBatchesInFlightMax} batches in flight (bounded by the queue's maxConcurrency, as Lambda's event source is).`,
    );
  out.push("");
  return out;
}
