import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Simulators } from "./simulators";
import { connectRequest } from "./simulators/control";
import type { FaultSpec } from "./simulators/faults";

export type Platform = "instagram" | "facebook" | "tiktok";

/** One API call over HTTP; never throws for an HTTP status. */
export type ApiCall = (
  method: string,
  path: string,
  opts?: { token?: string; body?: unknown },
) => Promise<{ status: number; body: unknown }>;

/** An account the demo publishes to: Studio's id and the platform's (simulator's) id. */
export interface DemoAccount {
  id: string;
  externalAccountId: string;
  handle: string;
}

interface Scenario {
  label: string;
  platform: Platform;
  scenario: string;
  /** "main": the platform's demo account; otherwise an account of its own, registered here. */
  account: "main" | { handle: string; expiresInSec?: number };
  caption: string;
  media: string[];
  /** Faults injected in the simulator for this scenario's account before it is scheduled. */
  faults?: (externalAccountId: string) => FaultSpec[];
}

/** The demo's posts: one per platform flavour, then a rate limit, a token refresh and a failure. */
const SCENARIOS: Scenario[] = [
  {
    label: "ig-image",
    platform: "instagram",
    scenario: "image",
    account: "main",
    caption: "Autumn collection is here",
    media: ["image.jpg"],
  },
  {
    label: "ig-reel",
    platform: "instagram",
    scenario: "reel",
    account: "main",
    caption: "Behind the scenes of the shoot",
    media: ["video.mp4"],
  },
  {
    label: "fb-photo",
    platform: "facebook",
    scenario: "photo post",
    account: "main",
    caption: "Our new store opens on Saturday",
    media: ["photo.jpg"],
  },
  {
    label: "tt-video",
    platform: "tiktok",
    scenario: "video",
    account: "main",
    caption: "Three ways to wear the scarf",
    media: ["video.mp4"],
  },
  {
    // TikTok's 429 carries Retry-After and no usage headers: the retry waits exactly what the
    // platform asked. (A Graph 429 reports usage at 100%, which holds the account's breaker for
    // the platform's regain estimate, a minute or more: too long for a demo.)
    label: "tt-429",
    platform: "tiktok",
    scenario: "429 + Retry-After → retried",
    account: { handle: "demo_tiktok_busy" },
    caption: "Weekend opening hours",
    media: ["video.mp4"],
    faults: (accountId) => [{ operation: "tiktok.init", type: "rate_limit", retryAfterSec: 2, accountId, times: 1 }],
  },
  {
    label: "tt-refresh",
    platform: "tiktok",
    scenario: "token expiring → refreshed",
    // Inside Studio's refresh margin (10 min): the worker refreshes before publishing.
    account: { handle: "demo_tiktok_expiring", expiresInSec: 300 },
    caption: "Unboxing the winter drop",
    media: ["video.mp4"],
  },
  {
    label: "ig-badmedia",
    platform: "instagram",
    scenario: "media served as text/html → fails",
    account: "main",
    caption: "This one links a web page, not an image",
    media: ["wrong-type.jpg"],
  },
];

export interface DemoRow {
  label: string;
  postId: string;
  platform: Platform;
  scenario: string;
  status: string;
  attempts: number;
  scheduledFor: string;
  publishedAt: string | null;
  /** publishedAt − scheduledFor, ms; null until published. */
  delayMs: number | null;
  externalPostId: string | null;
  lastError: { code: string; message: string } | null;
  /** Copies of this post's caption the simulator really published. */
  copies: number;
  /** The platform account's operations in the simulator's call log, in order (`op[fault]`). */
  calls: string[];
}

export interface PublishDemoResult {
  rows: DemoRow[];
  /** All posts reached a final status before the deadline. */
  settled: boolean;
  /** How often the every-minute publish dispatcher fired while the posts were in flight. */
  dispatcherRuns: number;
  elapsedMs: number;
}

export interface PublishDemoInput {
  api: ApiCall;
  key: string;
  sims: Simulators;
  /** The platforms' main demo accounts (connected by the "accounts" step). */
  accounts: Partial<Record<Platform, DemoAccount>>;
  print: (line: string) => void;
  dispatcherRuns?: () => number;
  /** Scheduled this far ahead (default 5 s): long enough to create everything first. */
  leadMs?: number;
  /** Gives up waiting this long after the last post's time (default 20 s). */
  settleMs?: number;
}

const FINAL = new Set(["published", "failed", "unconfirmed", "cancelled"]);
const MARK: Record<string, string> = {
  draft: "·",
  scheduled: "◷",
  publishing: "…",
  published: "✓",
  failed: "✗",
  unconfirmed: "?",
  cancelled: "-",
};

interface PostBody {
  id: string;
  status: string;
  attempts: number;
  scheduledFor: string;
  publishedAt: string | null;
  externalPostId: string | null;
  lastError: { code: string; message: string } | null;
  warnings?: Array<{ code: string }>;
}

/**
 * The publish walk of `pnpm start`: drafts on the three platforms, scheduled a few seconds ahead
 * through the API (which enqueues them on SQS with a delay), published by the publish queue's
 * worker against the simulators over HTTP. Faults are injected in the simulator only; Studio's
 * settings stay at their production values. Prints a live progress line and a table.
 *
 * @example
 * const { rows } = await runPublishDemo({ api, key, sims, accounts, print: console.log });
 */
export async function runPublishDemo(input: PublishDemoInput): Promise<PublishDemoResult> {
  const { api, key, sims, print } = input;
  const tag = randomBytes(2).toString("hex");
  const leadMs = input.leadMs ?? 5_000;

  // 1. Accounts of their own for the scenarios that need one, and their faults.
  const accounts = new Map<Scenario, DemoAccount>();
  for (const s of SCENARIOS) {
    const account = s.account === "main" ? input.accounts[s.platform] : await connect(api, key, sims, s);
    if (!account) throw new Error(`no ${s.platform} account connected`);
    accounts.set(s, account);
    for (const f of s.faults?.(account.externalAccountId) ?? []) {
      sims.control.addFault(f);
      print(`  fault injected for @${account.handle}: ${f.operation} → ${f.type}`);
    }
  }
  const expiring = SCENARIOS.find((s) => s.label === "tt-refresh") as Scenario;
  const expiringBefore = await accountExpiry(api, key, accounts.get(expiring)?.id);

  // 2. Drafts.
  const posts: Array<{ s: Scenario; id: string }> = [];
  for (const s of SCENARIOS) {
    const media = s.media.map((m) => ({
      url: `${sims.mediaUrl}/${m}`,
      type: /\.(mp4|mov)$/.test(m) ? "video" : "image",
    }));
    const res = await api("POST", "/v1/posts", {
      token: key,
      body: { accountId: accounts.get(s)?.id, caption: `${s.caption} #demo${tag}`, media },
    });
    const body = res.body as PostBody;
    if (res.status !== 201) throw new Error(`POST /v1/posts (${s.label}) → ${res.status} ${JSON.stringify(res.body)}`);
    posts.push({ s, id: body.id });
  }
  print(`POST /v1/posts ×${posts.length} → 201 (drafts)`);

  // 3. Schedule, a few seconds ahead, 250 ms apart.
  const base = Date.now() + leadMs;
  const dispatcherBefore = input.dispatcherRuns?.() ?? 0;
  for (const [i, p] of posts.entries()) {
    let at = new Date(base + i * 250).toISOString();
    let res = await api("POST", `/v1/posts/${p.id}/schedule`, { token: key, body: { scheduledFor: at } });
    // On a stalled machine the planned instant can pass before the request lands: the API
    // refuses it (as it must), and the demo asks again for a time that is ahead once more.
    for (let again = 0; again < 3 && errorCode(res.body) === "post.schedule_in_past"; again++) {
      at = new Date(Date.now() + leadMs).toISOString();
      res = await api("POST", `/v1/posts/${p.id}/schedule`, { token: key, body: { scheduledFor: at } });
    }
    const body = res.body as PostBody;
    const warn = body.warnings?.length ? `  (warning: ${body.warnings.map((w) => w.code).join(", ")})` : "";
    print(`POST /v1/posts/${p.id}/schedule → ${res.status} ${p.s.label} at ${at.slice(11, 23)}Z${warn}`);
    if (res.status !== 200) throw new Error(`schedule ${p.s.label}: ${JSON.stringify(res.body)}`);
  }
  print(
    `  due in ${(leadMs / 1000).toFixed(0)}–${((leadMs + 250 * (posts.length - 1)) / 1000).toFixed(1)} s: the API put each on the publish queue with its SQS delay (the dispatcher runs only every minute)`,
  );

  // 4. Live progress until every post is final (or the deadline).
  const started = Date.now();
  const deadline = base + 250 * posts.length + (input.settleMs ?? 20_000);
  const latest = new Map<string, PostBody>();
  const first = new Date(base).toISOString();
  let lastLine = "";
  while (true) {
    // One list call per tick (the workspace holds only the demo's posts): each call is a log line.
    const res = await api("GET", `/v1/posts?limit=${posts.length}&from=${encodeURIComponent(first)}`, { token: key });
    for (const item of (res.body as { items?: PostBody[] }).items ?? []) latest.set(item.id, item);
    const parts = posts.map((p) => {
      const b = latest.get(p.id);
      const attempts = b && b.attempts > 1 ? `×${b.attempts}` : "";
      return `${p.s.label} ${MARK[b?.status ?? ""] ?? b?.status ?? "?"}${attempts}`;
    });
    const line = parts.join(" │ ");
    if (line !== lastLine) {
      const t = (Date.now() - base) / 1000;
      print(`  T${t >= 0 ? "+" : "−"}${Math.abs(t).toFixed(1).padStart(4)}s │ ${line}`);
      lastLine = line;
    }
    const settled = posts.every((p) => FINAL.has(latest.get(p.id)?.status ?? ""));
    if (settled || Date.now() > deadline) break;
    await sleep(250);
  }
  const settled = posts.every((p) => FINAL.has(latest.get(p.id)?.status ?? ""));
  if (!settled) print("  (deadline reached: some posts are not final yet; the table shows where they are)");

  // 5. The outcome, with the simulator's own count of what went live.
  const rows: DemoRow[] = posts.map(({ s, id }) => {
    const b = latest.get(id) as PostBody;
    const account = accounts.get(s) as DemoAccount;
    const caption = `${s.caption} #demo${tag}`;
    const copies = sims.control.published({ caption }).reduce((n, g) => n + g.count, 0);
    const calls = sims.control
      .calls({ accountId: account.externalAccountId })
      .map((c) => `${c.operation}${c.fault ? `[${c.fault}]` : ""}`);
    return {
      label: s.label,
      postId: id,
      platform: s.platform,
      scenario: s.scenario,
      status: b.status,
      attempts: b.attempts,
      scheduledFor: b.scheduledFor,
      publishedAt: b.publishedAt,
      delayMs: b.publishedAt ? Date.parse(b.publishedAt) - Date.parse(b.scheduledFor) : null,
      externalPostId: b.externalPostId,
      lastError: b.lastError,
      copies,
      calls,
    };
  });
  print("");
  for (const line of table(rows)) print(line);
  print(
    "  delay = publishedAt − scheduledFor. Facebook is one call; Instagram processes the media first (its container is made ahead when there is time); TikTok processes the video after init (the simulator: 1.5 s), polled every 100 ms around then; tt-429 waited out its Retry-After.",
  );
  print("");
  explain(rows, print, { before: expiringBefore, after: await accountExpiry(api, key, accounts.get(expiring)?.id) });
  const dispatcherRuns = (input.dispatcherRuns?.() ?? 0) - dispatcherBefore;
  print(`  publish dispatcher runs while the posts were in flight: ${dispatcherRuns}`);
  return { rows, settled, dispatcherRuns, elapsedMs: Date.now() - started };
}

/** Registers an account with the simulator and connects it through the API (tokens stay here). */
async function connect(api: ApiCall, key: string, sims: Simulators, s: Scenario): Promise<DemoAccount> {
  const spec = s.account as { handle: string; expiresInSec?: number };
  const acc = sims.control.registerAccount({
    platform: s.platform,
    handle: spec.handle,
    expiresInSec: spec.expiresInSec,
  });
  const res = await api("POST", "/v1/accounts", {
    token: key,
    body: connectRequest(acc),
  });
  const id = (res.body as { id?: string }).id;
  if (res.status !== 201 || !id) throw new Error(`POST /v1/accounts (${spec.handle}) → ${res.status}`);
  return { id, externalAccountId: acc.accountId, handle: acc.handle };
}

async function accountExpiry(api: ApiCall, key: string, id: string | undefined): Promise<string | null> {
  if (!id) return null;
  const res = await api("GET", "/v1/accounts", { token: key });
  const items = (res.body as { items?: Array<{ id: string; expiresAt: string | null }> }).items ?? [];
  return items.find((a) => a.id === id)?.expiresAt ?? null;
}

/** The outcome table, fixed-width. */
export function table(rows: DemoRow[]): string[] {
  const head = [
    "post",
    "platform",
    "scenario",
    "status",
    "att",
    "delay ms",
    "externalPostId / lastError.code",
    "copies",
  ];
  const cells = rows.map((r) => [
    r.label,
    r.platform,
    r.scenario,
    r.status,
    String(r.attempts),
    r.delayMs === null ? "-" : String(r.delayMs),
    r.externalPostId ?? r.lastError?.code ?? "-",
    String(r.copies),
  ]);
  const width = head.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const right = new Set([4, 5, 7]);
  const fmt = (c: string[]) =>
    c.map((v, i) => (right.has(i) ? v.padStart(width[i] as number) : v.padEnd(width[i] as number))).join("  ");
  return [fmt(head), width.map((w) => "─".repeat(w)).join("  "), ...cells.map(fmt)];
}

/** What the simulator's call log says happened to the fault scenarios. */
function explain(rows: DemoRow[], print: (l: string) => void, expiry: { before: string | null; after: string | null }) {
  const seq = (calls: string[]) =>
    calls
      .reduce<Array<[string, number]>>((acc, c) => {
        const last = acc[acc.length - 1];
        if (last && last[0] === c) last[1]++;
        else acc.push([c, 1]);
        return acc;
      }, [])
      .map(([c, n]) => (n > 1 ? `${c} ×${n}` : c))
      .join(" → ");
  const limited = rows.find((r) => r.label === "tt-429");
  if (limited) print(`  tt-429 calls:      ${seq(limited.calls)}`);
  const refreshed = rows.find((r) => r.label === "tt-refresh");
  if (refreshed) {
    print(`  tt-refresh calls:  ${seq(refreshed.calls)}`);
    print(
      `  tt-refresh token:  expiresAt ${expiry.before ?? "-"} → ${expiry.after ?? "-"} (tokens themselves never leave Studio)`,
    );
  }
  for (const r of rows.filter((r) => r.status !== "published"))
    print(`  ${r.label} ${r.status}: ${r.lastError?.code ?? "-"} — ${r.lastError?.message ?? ""}`);
}

const errorCode = (body: unknown): string | undefined =>
  (body as { error?: { code?: string } } | undefined)?.error?.code;
