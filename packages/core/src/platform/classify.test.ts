import { describe, expect, it } from "vitest";
import {
  type CallContext,
  classifyGraphError,
  classifyNetworkError,
  classifyTikTokError,
  classifyTikTokOAuthError,
  isHighUsage,
  retryAfterMs,
  usageFromHeaders,
} from "./classify";

const ig = (extra: Partial<CallContext> = {}): CallContext => ({
  platform: "instagram",
  operation: "instagram.container_create",
  ...extra,
});
const igFinal = ig({ operation: "instagram.media_publish", final: true });
const fb = (extra: Partial<CallContext> = {}): CallContext => ({
  platform: "facebook",
  operation: "facebook.create_post",
  final: true,
  ...extra,
});
const tt = (extra: Partial<CallContext> = {}): CallContext => ({
  platform: "tiktok",
  operation: "tiktok.status",
  ...extra,
});

describe("classifyGraphError", () => {
  const cases: [string, CallContext, number, object | undefined, string, string, number?][] = [
    ["expired token", ig(), 400, { code: 190, error_subcode: 463 }, "auth", "platform.token_invalid"],
    ["invalid token", ig(), 400, { code: 190, error_subcode: 467 }, "auth", "platform.token_invalid"],
    [
      "password changed: refresh once first",
      ig(),
      400,
      { code: 190, error_subcode: 460 },
      "auth",
      "platform.token_invalid",
    ],
    ["user action needed", ig(), 400, { code: 190, error_subcode: 459 }, "auth", "platform.token_invalid"],
    ["facebook page token dead", fb(), 400, { code: 190 }, "reconnect", "account.needs_reconnect"],
    [
      "refresh of an expired token",
      ig({ refresh: true }),
      400,
      { code: 190, error_subcode: 463 },
      "reconnect",
      "account.needs_reconnect",
    ],
    ["refresh 5xx", ig({ refresh: true }), 502, undefined, "retryable", "platform.unavailable"],
    [
      "refresh 404: not a verdict on the token",
      ig({ refresh: true }),
      404,
      undefined,
      "retryable",
      "platform.unavailable",
    ],
    ["refresh 400 validation code", ig({ refresh: true }), 400, { code: 100 }, "retryable", "platform.unavailable"],
    ["refresh 429 without a body", ig({ refresh: true }), 429, undefined, "rate_limited", "platform.rate_limited"],
    [
      "refresh transient",
      ig({ refresh: true }),
      500,
      { code: 2, is_transient: true },
      "retryable",
      "platform.unavailable",
    ],
    ["throttle 4", ig(), 400, { code: 4 }, "rate_limited", "platform.rate_limited", 60_000],
    ["throttle 17", ig(), 400, { code: 17 }, "rate_limited", "platform.rate_limited", 60_000],
    ["throttle 32", ig(), 403, { code: 32 }, "rate_limited", "platform.rate_limited", 60_000],
    ["throttle 613", ig(), 400, { code: 613 }, "rate_limited", "platform.rate_limited", 60_000],
    ["business use case 80002", ig(), 400, { code: 80002 }, "rate_limited", "platform.rate_limited", 60_000],
    ["fb posting too fast", fb(), 400, { code: 1390008 }, "rate_limited", "platform.rate_limited", 60_000],
    ["bare 429", ig(), 429, undefined, "rate_limited", "platform.rate_limited", 60_000],
    ["unknown error 1 (reversible)", ig(), 500, { code: 1 }, "retryable", "platform.unavailable"],
    ["service unavailable 2 (reversible)", ig(), 503, { code: 2 }, "retryable", "platform.unavailable"],
    ["is_transient on 400", ig(), 400, { code: 100, is_transient: true }, "retryable", "platform.unavailable"],
    ["bare 502 (reversible)", ig(), 502, undefined, "retryable", "platform.unavailable"],
    ["5xx on the final call", igFinal, 500, { code: 1 }, "unknown_outcome", "platform.outcome_unknown"],
    [
      "transient on the final FB call",
      fb(),
      503,
      { code: 2, is_transient: true },
      "unknown_outcome",
      "platform.outcome_unknown",
    ],
    ["action blocked", igFinal, 400, { code: 4, error_subcode: 2207051 }, "unknown_outcome", "platform.action_blocked"],
    [
      "action blocked on a container",
      ig(),
      400,
      { code: 4, error_subcode: 2207051 },
      "unknown_outcome",
      "platform.action_blocked",
    ],
    [
      "daily publish limit",
      igFinal,
      400,
      { code: 9, error_subcode: 2207042 },
      "rate_limited",
      "platform.daily_limit",
      86_400_000,
    ],
    ["policy block", igFinal, 400, { code: 368 }, "permanent", "platform.policy_blocked"],
    ["duplicate on a reversible call", ig(), 400, { code: 506 }, "permanent", "platform.duplicate_post"],
    ["duplicate on the final call", fb(), 400, { code: 506 }, "unknown_outcome", "platform.duplicate_post"],
    ["media fetch failed", ig(), 400, { code: 9004, error_subcode: 2207052 }, "permanent", "post.media_invalid"],
    ["unsupported video", ig(), 400, { code: 100, error_subcode: 2207026 }, "permanent", "post.media_invalid"],
    ["image too large", ig(), 400, { code: 100, error_subcode: 2207004 }, "permanent", "post.media_invalid"],
    ["invalid parameter", ig(), 400, { code: 100 }, "permanent", "platform.rejected"],
    ["not ready yet", igFinal, 400, { code: 9007, error_subcode: 2207027 }, "retryable", "platform.not_ready"],
    [
      "container expired on publish",
      igFinal,
      400,
      { code: 100, error_subcode: 2207008 },
      "unknown_outcome",
      "platform.container_unusable",
    ],
    ["permission missing", ig(), 403, { code: 10 }, "reconnect", "platform.permission_missing"],
    ["permission 200", fb(), 403, { code: 200 }, "reconnect", "platform.permission_missing"],
    ["unknown 4xx without body", ig(), 404, undefined, "permanent", "platform.rejected"],
  ];
  it.each(cases)("%s", (_name, ctx, status, body, kind, code, retry) => {
    const e = classifyGraphError(ctx, status, body as never);
    expect(e.kind).toBe(kind);
    expect(e.code).toBe(code);
    expect(e.platform).toBe(ctx.platform);
    expect(e.httpStatus).toBe(status);
    if (retry !== undefined) expect(e.retryAfterMs).toBe(retry);
  });

  it("keeps the platform's code and subcode", () => {
    const e = classifyGraphError(ig(), 400, { code: 190, error_subcode: 463 });
    expect([e.platformCode, e.platformSubcode]).toEqual(["190", "463"]);
  });

  it("takes the wait from Retry-After, then from estimated_time_to_regain_access", () => {
    expect(classifyGraphError(ig(), 429, undefined, { "Retry-After": "7" }).retryAfterMs).toBe(7_000);
    const buc = JSON.stringify({
      "123": [{ type: "instagram", call_count: 100, estimated_time_to_regain_access: 12 }],
    });
    expect(classifyGraphError(ig(), 400, { code: 80002 }, { "x-business-use-case-usage": buc }).retryAfterMs).toBe(
      12 * 60_000,
    );
  });

  it("redacts tokens from messages", () => {
    const e = classifyGraphError(ig(), 400, { code: 100, message: "bad url https://x/y?access_token=EAAB123&a=1" });
    expect(e.message).not.toContain("EAAB123");
    expect(e.message).toContain("access_token=[redacted]");
  });
});

describe("classifyTikTokError", () => {
  const cases: [string, CallContext, number, string | undefined, string, string][] = [
    ["invalid token on HTTP 401", tt(), 401, "access_token_invalid", "auth", "platform.token_invalid"],
    ["invalid token on HTTP 200", tt(), 200, "access_token_invalid", "auth", "platform.token_invalid"],
    ["rate limit", tt(), 429, "rate_limit_exceeded", "rate_limited", "platform.rate_limited"],
    [
      "too many posts",
      tt({ operation: "tiktok.init", final: true }),
      403,
      "spam_risk_too_many_posts",
      "rate_limited",
      "platform.daily_limit",
    ],
    ["active user cap", tt(), 403, "reached_active_user_cap", "rate_limited", "platform.daily_limit"],
    ["invalid params", tt(), 400, "invalid_params", "permanent", "platform.rejected"],
    ["scope", tt(), 401, "scope_not_authorized", "permanent", "platform.permission_missing"],
    [
      "unaudited",
      tt(),
      403,
      "unaudited_client_can_only_post_to_private_accounts",
      "permanent",
      "platform.policy_blocked",
    ],
    ["internal error (status)", tt(), 500, "internal_error", "retryable", "platform.unavailable"],
    [
      "internal error on init",
      tt({ operation: "tiktok.init", final: true }),
      500,
      "internal_error",
      "unknown_outcome",
      "platform.outcome_unknown",
    ],
    ["bare 503", tt(), 503, undefined, "retryable", "platform.unavailable"],
    ["unknown code on 200", tt(), 200, "something_new", "permanent", "platform.rejected"],
  ];
  it.each(cases)("%s", (_name, ctx, status, code, kind, studioCode) => {
    const e = classifyTikTokError(ctx, status, code ? { code, message: "m", log_id: "l" } : undefined);
    expect(e.kind).toBe(kind);
    expect(e.code).toBe(studioCode);
  });

  it("rate limits default to a minute, daily caps to a day, Retry-After wins", () => {
    expect(classifyTikTokError(tt(), 429, { code: "rate_limit_exceeded" }).retryAfterMs).toBe(60_000);
    expect(classifyTikTokError(tt(), 403, { code: "spam_risk_too_many_posts" }).retryAfterMs).toBe(86_400_000);
    expect(classifyTikTokError(tt(), 429, { code: "rate_limit_exceeded" }, { "retry-after": "3" }).retryAfterMs).toBe(
      3_000,
    );
  });
});

describe("classifyTikTokOAuthError", () => {
  const ctx = tt({ operation: "tiktok.refresh", refresh: true });
  it.each([
    [400, { error: "invalid_grant", error_description: "refresh token expired" }, "reconnect"],
    [200, { error: "invalid_grant" }, "reconnect"],
    [401, { error: "invalid_client" }, "permanent"],
    [500, { error: "internal_error" }, "retryable"],
    [503, undefined, "retryable"],
    [429, undefined, "rate_limited"],
  ] as const)("HTTP %s %j → %s", (status, body, kind) => {
    expect(classifyTikTokOAuthError(ctx, status, body).kind).toBe(kind);
  });
});

describe("classifyNetworkError", () => {
  const netErr = (code: string) =>
    Object.assign(new TypeError("fetch failed"), { cause: Object.assign(new Error(code), { code }) });
  const timeout = () => new DOMException("The operation was aborted due to timeout", "TimeoutError");
  it.each([
    ["refused before sending (POST)", ig(), netErr("ECONNREFUSED"), "retryable"],
    ["DNS failure on the final call", igFinal, netErr("ENOTFOUND"), "retryable"],
    ["connect timeout", igFinal, netErr("UND_ERR_CONNECT_TIMEOUT"), "retryable"],
    ["socket closed after sending the final call", igFinal, netErr("UND_ERR_SOCKET"), "unknown_outcome"],
    ["reset after sending a reversible POST", ig(), netErr("ECONNRESET"), "unknown_outcome"],
    ["timeout on the final call", igFinal, timeout(), "unknown_outcome"],
    ["timeout on a GET", ig({ idempotent: true }), timeout(), "retryable"],
    ["reset on a GET", ig({ idempotent: true }), netErr("ECONNRESET"), "retryable"],
    ["timeout on a refresh", tt({ refresh: true }), timeout(), "retryable"],
  ] as const)("%s → %s", (_n, ctx, err, kind) => {
    expect(classifyNetworkError(ctx, err).kind).toBe(kind);
  });
  // What the transport saw decides first (platform/http.ts): never handed to a connected socket →
  // not sent, whatever the error; handed to one → a reset or timeout may follow the platform acting.
  it.each([
    ["our timeout while connecting (TLS handshake hung)", timeout(), false, "retryable"],
    ["TLS setup failure before writing", netErr("ERR_SSL_WRONG_VERSION_NUMBER"), false, "retryable"],
    ["a socket error before writing", netErr("UND_ERR_SOCKET"), false, "retryable"],
    ["timeout after writing", timeout(), true, "unknown_outcome"],
    ["reset after writing", netErr("ECONNRESET"), true, "unknown_outcome"],
  ] as const)("final call, %s → %s", (_n, err, sent, kind) => {
    const e = classifyNetworkError(igFinal, err, sent);
    expect(e.kind).toBe(kind);
    if (!sent) expect(e.message).toContain("not sent");
  });
});

describe("usage headers", () => {
  it("reads X-App-Usage and the business use case header", () => {
    const h = new Headers({
      "x-app-usage": JSON.stringify({ call_count: 40, total_cputime: 12, total_time: 20 }),
      "x-business-use-case-usage": JSON.stringify({
        "17841": [
          { type: "instagram", call_count: 91, total_cputime: 5, total_time: 3, estimated_time_to_regain_access: 0 },
        ],
      }),
    });
    expect(usageFromHeaders(h)).toEqual({ maxPercent: 91, regainAccessMs: 0 });
    expect(isHighUsage(usageFromHeaders(h))).toBe(true);
  });
  it("is not high below 90% and absent without headers", () => {
    expect(isHighUsage(usageFromHeaders({ "X-App-Usage": '{"call_count":89}' }))).toBe(false);
    expect(usageFromHeaders(new Headers())).toBeUndefined();
    expect(usageFromHeaders({ "x-app-usage": "not json" })).toBeUndefined();
  });
  it("a locked-out account is high usage whatever the percentages", () => {
    const buc = JSON.stringify({ "1": [{ call_count: 10, estimated_time_to_regain_access: 5 }] });
    expect(usageFromHeaders({ "x-business-use-case-usage": buc })).toEqual({ maxPercent: 10, regainAccessMs: 300_000 });
    expect(isHighUsage(usageFromHeaders({ "x-business-use-case-usage": buc }))).toBe(true);
  });
  it("Retry-After as seconds or as a date", () => {
    expect(retryAfterMs({ "retry-after": "2" })).toBe(2000);
    const now = Date.parse("2026-11-24T10:00:00Z");
    expect(retryAfterMs({ "retry-after": "Tue, 24 Nov 2026 10:00:30 GMT" }, now)).toBe(30_000);
    expect(retryAfterMs({})).toBeUndefined();
  });
});
