import type { Fault } from "./faults";
import { cut, hang, json, type Reply, type SimRequest, send, sleep } from "./sim-http";
import type { SimPlatform, SimState } from "./state";

export type Family = "graph" | "tiktok" | "tiktok_oauth" | "media";

/** Fault types that change what the operation does (handled by `perform`), not its answer. */
const STATE_FAULTS = new Set([
  "container_error",
  "container_expired",
  "publish_failed",
  "stuck",
  "not_found",
  "wrong_type",
]);
/** Fault types applied after the operation took effect. */
const AFTER_FAULTS = new Set(["response_lost", "blocked_but_live", "usage_high"]);

export interface Operation {
  family: Family;
  platform: SimPlatform | "media";
  /** e.g. `instagram.media_publish` (the names faults match on). */
  operation: string;
  accountId?: string;
  /** The objects the call reads (media, post or video ids), recorded with the call. */
  objects?: string[];
  /**
   * Set on the irreversible calls (the caption the request carried): the call is journaled with
   * the posts it created and what the client got back (`CallRecord.created` / `answered`).
   */
  caption?: string;
  /** Token check; an error reply stops the call before it does anything. */
  auth?: () => Reply | undefined;
  /** Does the work; receives a state fault (container_error …) when one fired. */
  perform: (fault?: Fault) => Reply | Promise<Reply>;
}

let trace = 0;
const fbtrace = () => `Sim${(++trace).toString(36)}${Math.random().toString(36).slice(2, 8)}`;

export function graphError(
  status: number,
  e: { code: number; subcode?: number; message: string; transient?: boolean; type?: string },
  headers?: Record<string, string>,
): Reply {
  return json(
    status,
    {
      error: {
        message: e.message,
        type: e.type ?? "OAuthException",
        code: e.code,
        ...(e.subcode !== undefined ? { error_subcode: e.subcode } : {}),
        is_transient: e.transient ?? false,
        fbtrace_id: fbtrace(),
      },
    },
    headers,
  );
}

export function tiktokError(status: number, code: string, message: string, headers?: Record<string, string>): Reply {
  return json(status, { data: {}, error: { code, message, log_id: fbtrace() } }, headers);
}

export function usageHeaders(
  accountId: string | undefined,
  percent: number,
  regainMinutes = 0,
  appPercent = percent,
): Record<string, string> {
  const p = Math.max(0, Math.min(100, Math.round(percent)));
  const a = Math.max(0, Math.min(100, Math.round(appPercent)));
  return {
    "x-app-usage": JSON.stringify({ call_count: a, total_cputime: Math.max(0, a - 5), total_time: Math.max(0, a - 3) }),
    "x-business-use-case-usage": JSON.stringify({
      [accountId ?? "0"]: [
        {
          type: "instagram",
          call_count: p,
          total_cputime: Math.max(0, p - 5),
          total_time: Math.max(0, p - 3),
          estimated_time_to_regain_access: regainMinutes,
        },
      ],
    }),
  };
}

/** The answer a pre-call fault produces, in the platform's own error format. */
export function faultReply(family: Family, platform: SimPlatform | "media", f: Fault, accountId?: string): Reply {
  const retryAfter: Record<string, string> =
    f.retryAfterSec !== undefined ? { "retry-after": String(f.retryAfterSec) } : {};
  if (family === "graph") {
    switch (f.type) {
      case "rate_limit": {
        const sec = f.retryAfterSec ?? 60;
        return graphError(
          429,
          { code: Number(f.code ?? 4), message: "(#4) Application request limit reached", transient: true },
          { "retry-after": String(sec), ...usageHeaders(accountId, 100, f.regainMinutes ?? Math.ceil(sec / 60)) },
        );
      }
      case "throttle": {
        const code = Number(f.code ?? 4);
        const message =
          code === 1390008
            ? "You are posting too fast. Please slow down."
            : code === 17
              ? "(#17) User request limit reached"
              : code === 32
                ? "(#32) Page request limit reached"
                : code === 613
                  ? "(#613) Calls to this api have exceeded the rate limit."
                  : `(#${code}) Application request limit reached`;
        return graphError(
          400,
          { code, message, transient: true },
          { ...retryAfter, ...usageHeaders(accountId, f.usagePercent ?? 100, f.regainMinutes ?? 1) },
        );
      }
      case "server_error": {
        const status = f.status ?? 500;
        return status === 503
          ? graphError(503, {
              code: 2,
              message: "An unexpected error has occurred. Please retry your request later.",
              transient: true,
            })
          : graphError(status, { code: 1, message: "An unknown error occurred", transient: true });
      }
      case "token_expired":
        return graphError(400, {
          code: 190,
          subcode: 463,
          message: `Error validating access token: Session has expired on ${new Date().toUTCString()}.`,
        });
      case "token_invalid":
        return graphError(400, {
          code: 190,
          subcode: f.subcode ?? 467,
          message: "Error validating access token: The session is invalid because the user logged out.",
        });
      case "invalid_grant":
        return graphError(400, {
          code: 190,
          subcode: 463,
          message: "Error validating access token: Session has expired; an expired token cannot be refreshed.",
        });
      case "daily_limit":
        return graphError(400, {
          code: 9,
          subcode: 2207042,
          message: "Application request limit reached: the account reached its publishing limit for 24 hours.",
        });
      case "duplicate":
        return graphError(400, { code: 506, message: "Duplicate status message" });
      case "policy_block":
        return graphError(400, {
          code: 368,
          message: "The action attempted has been deemed abusive or is otherwise disallowed",
        });
      case "media_rejected":
        return platform === "facebook"
          ? graphError(400, { code: 324, message: "(#324) Missing or invalid image file" })
          : graphError(400, { code: 9004, subcode: 2207052, message: "The media could not be fetched from this URI." });
      default:
        return graphError(f.status ?? 400, {
          code: Number(f.code ?? 100),
          subcode: f.subcode,
          message: f.message ?? "Invalid parameter",
          transient: f.isTransient,
        });
    }
  }
  if (family === "tiktok") {
    switch (f.type) {
      case "rate_limit":
      case "throttle":
        return tiktokError(429, "rate_limit_exceeded", "API rate limit exceeded.", {
          "retry-after": String(f.retryAfterSec ?? 60),
        });
      case "server_error":
        return tiktokError(f.status ?? 500, "internal_error", "Something went wrong. Please try again later.");
      case "token_expired":
      case "token_invalid":
      case "invalid_grant":
        return tiktokError(401, "access_token_invalid", "The access token is invalid or not found in the request.");
      case "daily_limit":
        return tiktokError(403, "spam_risk_too_many_posts", "The daily post cap from the API is reached.");
      case "policy_block":
        return tiktokError(403, "spam_risk_user_banned_from_posting", "The user is banned from posting.");
      case "media_rejected":
      case "duplicate":
        return tiktokError(400, "invalid_params", "The video_url is invalid or cannot be pulled.");
      default:
        // `error`: any code, by default on HTTP 200 (TikTok answers errors with 200 too).
        return tiktokError(f.status ?? 200, String(f.code ?? "internal_error"), f.message ?? "Injected error.");
    }
  }
  if (family === "tiktok_oauth") {
    const body = (error: string, description: string) => ({ error, error_description: description, log_id: fbtrace() });
    switch (f.type) {
      case "rate_limit":
      case "throttle":
        return json(429, body("rate_limit_exceeded", "Too many requests."), {
          "retry-after": String(f.retryAfterSec ?? 60),
        });
      case "server_error":
        return json(f.status ?? 500, body("internal_error", "Internal error, please retry."));
      case "error":
        return json(f.status ?? 400, body(String(f.code ?? "invalid_request"), f.message ?? "Injected error."));
      default:
        return json(400, body("invalid_grant", "Refresh token is invalid or expired."));
    }
  }
  // media host
  return f.type === "server_error"
    ? { status: f.status ?? 503, body: { error: "media host unavailable" } }
    : { status: f.status ?? 500, body: { error: "injected" } };
}

/**
 * Runs one platform operation with fault injection around it:
 * pre-call faults answer instead of the platform (nothing happens); `slow` delays; `timeout`
 * hangs and `reset` cuts the socket (nothing happens); state faults reach `perform`;
 * `response_lost` / `blocked_but_live` / `usage_high` let the operation take effect first.
 */
export async function run(state: SimState, sim: SimRequest, op: Operation): Promise<void> {
  const fault = state.faults.take(op.operation, op.accountId);
  const rec = state.record(op.operation, op.accountId, fault?.type, op.objects);
  if (op.caption === undefined) {
    // Every call keeps what it answered (e.g. how many TikTok status calls got a 429).
    rec.answered = await perform(state, sim, op, fault);
    return;
  }
  // The journal of an irreversible call: what it created and what the client got back.
  rec.caption = op.caption;
  const before = state.postSeq;
  const answered = await perform(state, sim, op, fault);
  rec.created = state.posts.filter((p) => p.seq > before && p.caption === op.caption).map((p) => p.id);
  rec.answered = answered;
}

/** The call itself; resolves with what the client got (`CallRecord.answered`). */
async function perform(
  state: SimState,
  sim: SimRequest,
  op: Operation,
  fault: Fault | undefined,
): Promise<number | "cut" | "no_answer"> {
  const sendReply = (reply: Reply) => {
    send(sim.res, reply);
    return reply.status;
  };
  if (fault && !STATE_FAULTS.has(fault.type) && !AFTER_FAULTS.has(fault.type)) {
    if (fault.type === "slow") await sleep(fault.delayMs ?? 2_000);
    else if (fault.type === "timeout") return hang(sim, fault.delayMs).then(() => "no_answer" as const);
    else if (fault.type === "reset") {
      cut(sim);
      return "cut";
    } else {
      // A refusal may come late (`delayMs`): the caller holds its request, and its token, that long.
      if (fault.delayMs) await sleep(fault.delayMs);
      return sendReply(faultReply(op.family, op.platform, fault, op.accountId));
    }
  }
  // Graph's hourly call budgets: usage headers on every answer, code 80002 / 4 at 100%.
  const usage = op.family === "graph" ? state.graphUsage(op.accountId) : undefined;
  const usageH = usage ? usageHeaders(op.accountId, usage.account, usage.regainMinutes, usage.app) : {};
  if (usage && usage.regainMinutes > 0) {
    state.limitHit(op.operation);
    const app = usage.app >= 100;
    return sendReply(
      graphError(
        400,
        app
          ? { code: 4, message: "(#4) Application request limit reached", transient: true }
          : {
              code: op.platform === "facebook" ? 80001 : 80002,
              message: "There have been too many calls to this account. Wait a bit and try again.",
              transient: true,
            },
        usageH,
      ),
    );
  }
  const denied = op.auth?.();
  if (denied) return sendReply({ ...denied, headers: { ...usageH, ...denied.headers } });
  const reply = await op.perform(fault && STATE_FAULTS.has(fault.type) ? fault : undefined);
  reply.headers = { ...usageH, ...reply.headers };
  const ok = reply.status >= 200 && reply.status < 300;
  if (fault?.type === "response_lost" && ok) {
    if (fault.mode === "hang") return hang(sim, fault.delayMs).then(() => "no_answer" as const);
    cut(sim);
    return "cut";
  }
  if (fault?.type === "blocked_but_live" && ok) {
    return sendReply(
      op.family === "graph"
        ? graphError(400, {
            code: 4,
            subcode: 2207051,
            message: "We restrict certain activity to protect our community. Action is blocked.",
          })
        : tiktokError(500, "internal_error", "Something went wrong. Please try again later."),
    );
  }
  if (fault?.type === "usage_high" && op.family === "graph") {
    reply.headers = {
      ...reply.headers,
      ...usageHeaders(op.accountId, fault.usagePercent ?? 95, fault.regainMinutes ?? 0),
    };
  }
  return sendReply(reply);
}
