import type { Runtime } from "./runtime/runtime";

/** What the LLM demo needs of the demo's context. */
interface LlmDemoContext {
  rt: Runtime;
  print: (line: string) => void;
  apiKey?: string;
  accounts: Partial<Record<"instagram" | "facebook" | "tiktok", string>>;
}

/**
 * The demo's LLM part: a weekly plan and a repurposing made by the offline model (or OpenAI when
 * OPENAI_API_KEY is set), each turned into drafts, and what they cost in tokens (GET /v1/usage).
 */
export const llmDemoStep = {
  name: "LLM: a weekly plan and a repurposing (offline model), and their token cost",
  run: async (ctx: LlmDemoContext) => {
    if (!ctx.apiKey) return ctx.print("  (skipped: no workspace)");
    if (!ctx.rt.pollers.llm) return ctx.print("  (skipped: the llm queue is not polled)");
    const api = async <T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(`${ctx.rt.apiUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${ctx.apiKey}`, "content-type": "application/json", ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as T };
    };
    ctx.print(
      `  model: ${ctx.rt.offlineModel ? `offline model at ${ctx.rt.offlineModel.baseUrl}` : "OPENAI_BASE_URL / OpenAI"}`,
    );
    await api("PATCH", "/v1/workspace", {
      brandProfile: {
        name: "Demo studio",
        tone: "warm and curious",
        topics: ["slow travel", "street food", "city guides"],
      },
    });
    const plan = await api<{
      id: string;
      status: string;
      proposals: Array<{ platform: string; scheduledFor: string; caption: string }>;
      draftPostIds: string[];
      usage: { promptTokens: number; completionTokens: number; costUsd: number } | null;
    }>("POST", "/v1/plans", { postsPerWeek: 4 }, { prefer: "wait=20" });
    ctx.print(
      `POST /v1/plans (Prefer: wait=20) → ${plan.status} ${plan.body.id} ${plan.body.status}, ${plan.body.draftPostIds?.length ?? 0} drafts`,
    );
    for (const p of plan.body.proposals ?? [])
      ctx.print(`  ${p.scheduledFor} ${p.platform.padEnd(9)} ${p.caption.slice(0, 70)}…`);
    const source = ctx.accounts.instagram;
    const media = ctx.rt.simulators ? [{ url: `${ctx.rt.simulators.mediaUrl}/video.mp4`, type: "video" }] : [];
    const post = await api<{ id: string }>("POST", "/v1/posts", {
      accountId: source,
      caption: "Three days in Lisbon on foot: pastéis at 8, tram 28 at dawn, sardines by the river at sunset.",
      media,
    });
    const targets = [ctx.accounts.facebook, ctx.accounts.tiktok].filter(Boolean).map((accountId) => ({ accountId }));
    const rep = await api<{
      id: string;
      status: string;
      variants: Array<{
        platform: string;
        caption: string | null;
        postId: string | null;
        error: { message: string } | null;
      }>;
    }>("POST", "/v1/repurpose", { sourcePostId: post.body.id, targets }, { prefer: "wait=20" });
    ctx.print(`POST /v1/repurpose (Prefer: wait=20) → ${rep.status} ${rep.body.id} ${rep.body.status}`);
    for (const v of rep.body.variants ?? [])
      ctx.print(
        `  ${v.platform.padEnd(9)} ${v.postId ? `draft ${v.postId}: ${(v.caption ?? "").slice(0, 60)}…` : `no draft: ${v.error?.message}`}`,
      );
    const usage = await api<{
      totals: { calls: number; promptTokens: number; completionTokens: number; costUsd: number };
      byFeature: Array<{
        feature: string;
        calls: number;
        promptTokens: number;
        completionTokens: number;
        costUsd: number;
      }>;
    }>("GET", "/v1/usage");
    ctx.print("GET /v1/usage → what the LLM cost (tokens of the offline model, priced as gpt-4o):");
    for (const f of usage.body.byFeature ?? []) {
      ctx.print(
        `  ${f.feature.padEnd(11)} ${f.calls} call(s), ${f.promptTokens} prompt + ${f.completionTokens} completion tokens, $${f.costUsd.toFixed(4)}`,
      );
    }
  },
};
