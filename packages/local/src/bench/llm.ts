import { mkdir, writeFile } from "node:fs/promises";
import { entryPoints } from "@studio/core/config/llm";
import { db } from "@studio/core/db/service";
import { startRuntime } from "../runtime/runtime";
import { connectRequest } from "../simulators/control";

/**
 * `pnpm bench:llm` (runnable on its own): tokens per call and cost per entry point, measured on
 * the offline model's token counts (o200k) with realistic inputs — a workspace with a brand
 * profile, 3 accounts, 30 days of metrics on 60 posts and 5 competitors — next to the seed's
 * estimates (planner 2,000–4,000 tokens, repurposing 1,500–3,000). Writes
 * bench/results/llm-<date>.json and .md. Nothing asserted: figures next to their estimates.
 */
async function main() {
  const runs = Number(process.argv.find((a) => a.startsWith("--runs="))?.slice(7) ?? 3);
  delete process.env.OPENAI_API_KEY;
  delete process.env.OPENAI_BASE_URL;
  process.env.STUDIO_RATE_LIMIT_PER_KEY ??= "0";
  const rt = await startRuntime({ port: 0, schedules: false, pollers: ["llm"], stage: `bllm${Date.now() % 100000}` });
  try {
    const api = async <T>(
      method: string,
      path: string,
      key: string,
      body?: unknown,
      headers: Record<string, string> = {},
    ) => {
      const res = await fetch(`${rt.apiUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return (await res.json()) as T;
    };
    const created = await api<{ workspace: { id: string }; apiKey: string }>("POST", "/v1/workspaces", rt.adminToken, {
      name: "Bench Roasters",
      timezone: "Europe/Berlin",
      brandProfile: {
        name: "Bench Roasters",
        tone: "warm, expert, a little playful",
        audience: "home baristas and specialty-coffee fans in Berlin",
        topics: ["single-origin espresso", "latte art", "brewing guides", "our roastery", "seasonal drinks"],
        avoid: ["discount talk", "competitor bashing"],
        description:
          "Small-batch roastery and café. We source directly from farms in Ethiopia, Colombia and Guatemala, roast twice a week, and teach brewing at home.",
      },
    });
    const key = created.apiKey;
    const ws = created.workspace.id;
    const accounts: Record<string, string> = {};
    for (const platform of ["instagram", "facebook", "tiktok"] as const) {
      const acc = rt.simulators!.control.registerAccount({ platform, handle: `bench_${platform}` });
      accounts[platform] = (await api<{ id: string }>("POST", "/v1/accounts", key, connectRequest(acc))).id;
    }
    // 30 days of history: 60 published posts, 4 snapshots each; 5 competitors with 30 daily snapshots.
    const now = Date.now();
    const platforms = Object.keys(accounts);
    for (let i = 0; i < 60; i++) {
      const platform = platforms[i % 3] as "instagram" | "facebook" | "tiktok";
      const at = new Date(now - (i / 2 + 0.5) * 86_400_000).toISOString();
      const id = `post_bench${String(i).padStart(4, "0")}`;
      await db()
        .entities.post.create({
          id,
          workspaceId: ws,
          accountId: accounts[platform] as string,
          platform,
          caption: `Brew guide #${i}: how we dial in a ${["washed Ethiopian", "natural Colombian", "honey Guatemalan"][i % 3]} for espresso at home. Save it for your next bag!`,
          originalCaption: "x",
          media: [],
          status: "published",
          version: 3,
          calendarAt: at,
          scheduledFor: at,
          publishedAt: at,
          attempts: 1,
          createdAt: at,
          updatedAt: at,
        })
        .go({ response: "none" });
      for (let k = 0; k < 4; k++) {
        await db()
          .entities.postMetrics.create({
            postId: id,
            slot: `s${k}`,
            runId: `run_bench${k}`,
            workspaceId: ws,
            accountId: accounts[platform] as string,
            platform,
            capturedAt: new Date(Date.parse(at) + (k + 1) * 6 * 3_600_000).toISOString(),
            values: {
              views: 800 + ((i * 37) % 900) * (k + 1),
              reach: 600 + i * 5,
              likes: 40 + ((i * 13) % 60),
              comments: 3 + (i % 9),
              shares: i % 7,
            },
          } as never)
          .go({ response: "none" });
      }
    }
    for (let c = 0; c < 5; c++) {
      const id = `comp_bench${c}`;
      await db()
        .entities.competitor.create({
          id,
          workspaceId: ws,
          platform: c % 2 ? "facebook" : "instagram",
          handle: `rival_roasters_${c}`,
          status: "active",
          createdAt: new Date(now).toISOString(),
        } as never)
        .go({ response: "none" });
      for (let d = 0; d < 30; d++) {
        await db()
          .entities.competitorMetrics.create({
            competitorId: id,
            workspaceId: ws,
            slot: new Date(now - d * 86_400_000).toISOString(),
            runId: `run_bench_${d}`,
            capturedAt: new Date(now - d * 86_400_000).toISOString(),
            values: {
              followers: 12_000 + c * 3_000 - d * 10,
              posts: 400 + c * 50,
              avgLikes: 300 + c * 40,
              avgComments: 20 + c,
            },
          } as never)
          .go({ response: "none" });
      }
    }
    const source = await api<{ id: string }>("POST", "/v1/posts", key, {
      accountId: accounts.instagram,
      caption:
        "Our autumn single-origin just landed: a washed Ethiopian Guji with notes of bergamot, peach and black tea. We roast it light on Tuesdays and Fridays, and it shines as a V60 or a sweet, juicy espresso. Come taste it at the bar this weekend or grab a bag to brew at home. #specialtycoffee #ethiopia #berlincoffee",
      media: [{ url: `${rt.simulators!.mediaUrl}/video.mp4`, type: "video" }],
    });
    for (let r = 0; r < runs; r++) {
      await api(
        "POST",
        "/v1/plans",
        key,
        { postsPerWeek: 7, notes: `run ${r}: focus on the autumn origin launch` },
        { prefer: "wait=20" },
      );
      await api(
        "POST",
        "/v1/repurpose",
        key,
        {
          sourcePostId: source.id,
          targets: [{ accountId: accounts.facebook }, { accountId: accounts.tiktok }],
        },
        { prefer: "wait=20" },
      );
    }
    const usage = await api<{
      byFeature: Array<{
        feature: string;
        calls: number;
        promptTokens: number;
        completionTokens: number;
        costUsd: number;
      }>;
    }>("GET", "/v1/usage", key);
    const rows = usage.byFeature.map((f) => {
      const est = (entryPoints as Record<string, { seedEstimate?: [number, number] }>)[f.feature]?.seedEstimate;
      return {
        entryPoint: f.feature,
        calls: f.calls,
        promptTokensPerCall: Math.round(f.promptTokens / f.calls),
        completionTokensPerCall: Math.round(f.completionTokens / f.calls),
        tokensPerCall: Math.round((f.promptTokens + f.completionTokens) / f.calls),
        seedEstimate: est ? `${est[0]}–${est[1]}` : "–",
        costUsdPerCall: Math.round((f.costUsd / f.calls) * 1e5) / 1e5,
        model: "gpt-4o (price table, config/llm.ts)",
      };
    });
    const md = [
      `# LLM tokens and cost per entry point (${new Date().toISOString()})`,
      "",
      "Offline model's o200k token counts, realistic inputs (brand profile, 3 accounts, 30 days of metrics on 60 posts, 5 competitors with 30 snapshots); plans of 7 posts, repurposing to 2 targets; cost at gpt-4o list prices.",
      "",
      "| entry point | calls | prompt tokens/call | completion tokens/call | total tokens/call | seed estimate | USD/call |",
      "|---|---|---|---|---|---|---|",
      ...rows.map(
        (r) =>
          `| ${r.entryPoint} | ${r.calls} | ${r.promptTokensPerCall} | ${r.completionTokensPerCall} | ${r.tokensPerCall} | ${r.seedEstimate} | ${r.costUsdPerCall} |`,
      ),
      "",
    ].join("\n");
    console.log(md);
    await mkdir("bench/results", { recursive: true });
    const stamp = new Date().toISOString().slice(0, 16).replace(/:/g, "-");
    await writeFile(
      `bench/results/llm-${stamp}.json`,
      JSON.stringify({ at: new Date().toISOString(), runs, rows }, null, 2),
    );
    await writeFile(`bench/results/llm-${stamp}.md`, md);
  } finally {
    await rt.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
