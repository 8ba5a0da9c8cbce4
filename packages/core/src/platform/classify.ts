import type { Platform } from "../platforms";
import { redactString } from "../util/logger";
import { PlatformError, type PlatformErrorKind } from "./errors";

/**
 * Every platform failure becomes a `PlatformError` here, and only here (platforms.md, design-publishing.md §5).
 *
 * Decisions worth knowing (each pinned by classify.test.ts):
 * - **The irreversible call** (`final: true`: IG `media_publish`, FB create post, TikTok init) never
 *   gets `retryable` for an answer that does not prove nothing happened: a 5xx, Graph codes 1/2 or
 *   `is_transient`, TikTok `internal_error`, a timeout or a dropped connection → `unknown_outcome`
 *   (the engine reconciles; for IG a FINISHED container proves a republish is safe). A 4xx that
 *   names a reason (throttled, invalid, expired token) proves the call was refused, so it keeps
 *   its own kind.
 * - **Graph 190** (bad token) → `auth` for Instagram whatever the subcode, including the
 *   "user action needed" family 458/459/460/464/467: one refresh attempt is cheap and the refresh
 *   itself answers 190 when the token is dead, which *then* is `reconnect`. Facebook page tokens
 *   cannot be refreshed by Studio (no refresh endpoint in the contract), so Facebook 190 →
 *   `reconnect` directly.
 * - **Throttling** (4/17/32/613, 80001–80014 business-use-case limits, FB 1390008, TikTok
 *   `rate_limit_exceeded`) → `rate_limited` with `retryAfterMs` from `Retry-After` or the usage
 *   headers' `estimated_time_to_regain_access`, else a default per kind.
 * - **506 duplicate**: `permanent` on a reversible call; on the final call it can mean our first
 *   attempt went live, so `unknown_outcome` (code still `platform.duplicate_post`).
 * - **Token refresh** (`refresh: true`): `invalid_grant`, Graph 190/any, "cannot be refreshed"
 *   → `reconnect`; 5xx, network, timeouts → `retryable` (a blip is never a dead token).
 */

export interface CallContext {
  platform: Platform;
  /** e.g. `instagram.media_publish`; used in messages only. */
  operation: string;
  /** The irreversible call of a publish (media_publish, FB create post, TikTok init). */
  final?: boolean;
  /** A token refresh call: auth failures mean "reconnect". */
  refresh?: boolean;
  /** GET or another request that is safe to repeat (no side effect). */
  idempotent?: boolean;
}

type HeaderSource = Headers | Record<string, string | undefined> | undefined;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Defaults when the platform gives no hint. */
export const DEFAULT_BACKOFF = {
  rateLimited: MINUTE,
  /** IG 2207042: the rolling 24 h publishing window is full. */
  dailyPublishLimit: 24 * HOUR,
  /** TikTok spam_risk_too_many_posts / reached_active_user_cap: daily caps. */
  tiktokDailyCap: 24 * HOUR,
} as const;

function header(h: HeaderSource, name: string): string | undefined {
  if (!h) return undefined;
  if (h instanceof Headers) return h.get(name) ?? undefined;
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(h)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/**
 * `Retry-After` in ms (seconds or an HTTP date), or undefined.
 *
 * @example retryAfterMs(new Headers({ "retry-after": "30" })) // 30000
 */
export function retryAfterMs(h: HeaderSource, now = Date.now()): number | undefined {
  const v = header(h, "retry-after")?.trim();
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export interface PlatformUsage {
  /** Highest percentage over every counter of `X-App-Usage` and `X-Business-Use-Case-Usage`. */
  maxPercent: number;
  /** Largest `estimated_time_to_regain_access`, in ms (0 when not throttled). */
  regainAccessMs: number;
}

function numbers(o: unknown, into: { pct: number[]; regain: number[] }) {
  if (Array.isArray(o)) {
    for (const x of o) numbers(x, into);
    return;
  }
  if (!o || typeof o !== "object") return;
  for (const [k, v] of Object.entries(o)) {
    if (k === "estimated_time_to_regain_access" && typeof v === "number") into.regain.push(v);
    else if (k === "type") continue;
    else if (typeof v === "number" && /count|time|cputime|usage/i.test(k)) into.pct.push(v);
    else if (typeof v === "object") numbers(v, into);
  }
}

/**
 * Reads Meta's usage headers: `X-App-Usage` (`{ call_count, total_cputime, total_time }`) and
 * `X-Business-Use-Case-Usage` (`{ "<business id>": [{ type, call_count, total_cputime,
 * total_time, estimated_time_to_regain_access }] }`), also `X-Ad-Account-Usage`-style
 * `acc_id_util_pct`. Undefined when no header is there or none parses.
 *
 * @example usageFromHeaders(new Headers({ "x-app-usage": '{"call_count":95}' })) // { maxPercent: 95, regainAccessMs: 0 }
 */
export function usageFromHeaders(h: HeaderSource): PlatformUsage | undefined {
  const into = { pct: [] as number[], regain: [] as number[] };
  let seen = false;
  for (const name of ["x-app-usage", "x-business-use-case-usage", "x-ad-account-usage"]) {
    const raw = header(h, name);
    if (!raw) continue;
    try {
      numbers(JSON.parse(raw), into);
      seen = true;
    } catch {
      // A malformed header is not worth failing a request over.
    }
  }
  if (!seen) return undefined;
  return { maxPercent: Math.max(0, ...into.pct), regainAccessMs: Math.max(0, ...into.regain) * MINUTE };
}

/** The threshold at which the engine should back off before Meta throttles (100%). */
export const HIGH_USAGE_PERCENT = 90;

/**
 * True when the answer says the app or account is at ≥ 90% of a rate limit (or already locked
 * out): the engine should slow down for `usage.regainAccessMs` (or its own default) now.
 *
 * @example isHighUsage(usageFromHeaders(res.headers))
 */
export function isHighUsage(usage: PlatformUsage | undefined, threshold = HIGH_USAGE_PERCENT): boolean {
  return !!usage && (usage.maxPercent >= threshold || usage.regainAccessMs > 0);
}

/** The wait a throttled answer asks for: Retry-After, else regain time, else `fallback`. */
export function waitFromHeaders(h: HeaderSource, fallback: number): number {
  const ra = retryAfterMs(h);
  if (ra !== undefined) return ra;
  const usage = usageFromHeaders(h);
  if (usage && usage.regainAccessMs > 0) return usage.regainAccessMs;
  return fallback;
}

function make(
  ctx: CallContext,
  kind: PlatformErrorKind,
  code: string,
  message: string,
  extra: {
    httpStatus?: number;
    platformCode?: string | number;
    platformSubcode?: string | number;
    retryAfterMs?: number;
  },
): PlatformError {
  return new PlatformError({
    platform: ctx.platform,
    kind,
    code,
    message: redactString(`${ctx.operation}: ${message}`),
    httpStatus: extra.httpStatus,
    platformCode: extra.platformCode === undefined ? undefined : String(extra.platformCode),
    platformSubcode: extra.platformSubcode === undefined ? undefined : String(extra.platformSubcode),
    retryAfterMs: extra.retryAfterMs,
  });
}

/** A transient failure: retryable, except on the final call, where it proves nothing. */
function transient(ctx: CallContext, message: string, extra: Parameters<typeof make>[4]): PlatformError {
  if (ctx.final)
    return make(ctx, "unknown_outcome", "platform.outcome_unknown", `${message} (the post may be live)`, extra);
  return make(ctx, "retryable", "platform.unavailable", message, extra);
}

/** Graph `{ error: { … } }` as Meta sends it. */
export interface GraphErrorBody {
  message?: string;
  type?: string;
  code?: number;
  error_subcode?: number;
  is_transient?: boolean;
  error_user_msg?: string;
  fbtrace_id?: string;
}

/** Subcodes (IG content publishing) that mean the media itself was refused. */
const MEDIA_SUBCODES = new Set([
  2207003, // took too long to download the media
  2207004, // image too large
  2207005, // unsupported image format
  2207009, // aspect ratio
  2207010, // caption too long
  2207023, // unknown media type
  2207026, // unsupported video format
  2207052, // media could not be fetched from the URI
  2207053, // upload error
]);
/** Top-level Graph codes that mean the media was refused. */
const MEDIA_CODES = new Set([
  324, // missing or invalid image file
  352, // video format not supported
  9004, // media URL could not be fetched
  36000, // image too large
  36001, // image dimensions
  36003, // aspect ratio
  1363024, // video too large / FB video
]);
const THROTTLE_CODES = new Set([4, 17, 32, 613, 1390008]);

/**
 * Classifies a Graph API (Instagram, Facebook) error answer.
 *
 * @example classifyGraphError({ platform: "instagram", operation: "instagram.media_publish", final: true }, 400, body, headers)
 */
export function classifyGraphError(
  ctx: CallContext,
  httpStatus: number,
  error: GraphErrorBody | undefined,
  headers?: HeaderSource,
): PlatformError {
  const code = error?.code;
  const sub = error?.error_subcode;
  const msg = error?.message ?? `HTTP ${httpStatus}`;
  const base = { httpStatus, platformCode: code, platformSubcode: sub };

  // Token refresh: only a dead token means reconnect; blips are retried.
  if (ctx.refresh) {
    if (httpStatus >= 500 || (error && (error.is_transient || code === 1 || code === 2)))
      return make(ctx, "retryable", "platform.unavailable", msg, base);
    if (code !== undefined && THROTTLE_CODES.has(code))
      return make(ctx, "rate_limited", "platform.rate_limited", msg, {
        ...base,
        retryAfterMs: waitFromHeaders(headers, DEFAULT_BACKOFF.rateLimited),
      });
    if (httpStatus === 429)
      return make(ctx, "rate_limited", "platform.rate_limited", msg, {
        ...base,
        retryAfterMs: waitFromHeaders(headers, DEFAULT_BACKOFF.rateLimited),
      });
    // Only a token the platform calls dead (190 / OAuthException / 401) means reconnect; any
    // other refusal of the refresh call (404, a validation code) is retried, not a verdict.
    if (code === 190 || error?.type === "OAuthException" || httpStatus === 401)
      return make(ctx, "reconnect", "account.needs_reconnect", `the token cannot be refreshed: ${msg}`, base);
    return make(ctx, "retryable", "platform.unavailable", `token refresh failed: ${msg}`, base);
  }

  // Action blocked: seen on posts that went live anyway (platforms.md).
  if (sub === 2207051)
    return make(
      ctx,
      "unknown_outcome",
      "platform.action_blocked",
      `action blocked (the post may be live): ${msg}`,
      base,
    );
  if (sub === 2207042)
    return make(ctx, "rate_limited", "platform.daily_limit", `daily publishing limit reached: ${msg}`, {
      ...base,
      retryAfterMs: waitFromHeaders(headers, DEFAULT_BACKOFF.dailyPublishLimit),
    });
  // Container already used or expired: on the final call, ask the container before concluding.
  if (sub === 2207008 || sub === 2207006)
    return make(
      ctx,
      ctx.final ? "unknown_outcome" : "permanent",
      "platform.container_unusable",
      `the media container is expired or already published: ${msg}`,
      base,
    );
  // Publishing a container that is not FINISHED yet: nothing happened, try again shortly.
  if (code === 9007 || sub === 2207027)
    return make(ctx, "retryable", "platform.not_ready", `the media is not ready yet: ${msg}`, {
      ...base,
      retryAfterMs: 5_000,
    });

  if (code === 190 || code === 102) {
    if (ctx.platform === "facebook")
      return make(ctx, "reconnect", "account.needs_reconnect", `the page token is no longer valid: ${msg}`, base);
    return make(ctx, "auth", "platform.token_invalid", msg, base);
  }
  if (code === 10 || (code !== undefined && code >= 200 && code <= 299))
    return make(ctx, "reconnect", "platform.permission_missing", `a permission is missing: ${msg}`, base);

  if ((code !== undefined && (THROTTLE_CODES.has(code) || (code >= 80001 && code <= 80014))) || httpStatus === 429)
    return make(ctx, "rate_limited", "platform.rate_limited", msg, {
      ...base,
      retryAfterMs: waitFromHeaders(headers, DEFAULT_BACKOFF.rateLimited),
    });

  if (code === 368) return make(ctx, "permanent", "platform.policy_blocked", `blocked for policy: ${msg}`, base);
  if (code === 506)
    return make(
      ctx,
      ctx.final ? "unknown_outcome" : "permanent",
      "platform.duplicate_post",
      ctx.final ? `duplicate post (an earlier attempt may be live): ${msg}` : `duplicate post: ${msg}`,
      base,
    );

  if ((sub !== undefined && MEDIA_SUBCODES.has(sub)) || (code !== undefined && MEDIA_CODES.has(code)))
    return make(ctx, "permanent", "post.media_invalid", error?.error_user_msg ?? msg, base);

  if (httpStatus >= 500 || error?.is_transient || code === 1 || code === 2) return transient(ctx, msg, base);

  if (httpStatus === 401)
    return make(ctx, ctx.platform === "facebook" ? "reconnect" : "auth", "platform.token_invalid", msg, base);
  return make(ctx, "permanent", "platform.rejected", error?.error_user_msg ?? msg, base);
}

/** TikTok's `{ error: { code, message, log_id } }`. */
export interface TikTokErrorBody {
  code?: string;
  message?: string;
  log_id?: string;
}

/**
 * Classifies a TikTok answer whose `error.code` is not `"ok"` (whatever the HTTP status), or a
 * non-2xx without a body.
 */
export function classifyTikTokError(
  ctx: CallContext,
  httpStatus: number,
  error: TikTokErrorBody | undefined,
  headers?: HeaderSource,
): PlatformError {
  const code = error?.code;
  const msg = error?.message ? `${code}: ${error.message}` : (code ?? `HTTP ${httpStatus}`);
  const base = { httpStatus, platformCode: code };
  switch (code) {
    case "access_token_invalid":
    case "access_token_expired":
      return make(ctx, "auth", "platform.token_invalid", msg, base);
    case "rate_limit_exceeded":
      return make(ctx, "rate_limited", "platform.rate_limited", msg, {
        ...base,
        retryAfterMs: waitFromHeaders(headers, DEFAULT_BACKOFF.rateLimited),
      });
    case "spam_risk_too_many_posts":
    case "spam_risk_too_many_pending_share":
    case "reached_active_user_cap":
      return make(ctx, "rate_limited", "platform.daily_limit", msg, {
        ...base,
        retryAfterMs: waitFromHeaders(headers, DEFAULT_BACKOFF.tiktokDailyCap),
      });
    case "scope_not_authorized":
    case "scope_permission_missed":
      return make(ctx, "permanent", "platform.permission_missing", msg, base);
    case "invalid_params":
    case "privacy_level_option_mismatch":
    case "url_ownership_unverified":
    case "file_format_check_failed":
    case "duration_check_failed":
    case "picture_size_check_failed":
    case "video_pull_failed":
      return make(
        ctx,
        "permanent",
        code === "invalid_params" || code === "privacy_level_option_mismatch"
          ? "platform.rejected"
          : "post.media_invalid",
        msg,
        base,
      );
    case "unaudited_client_can_only_post_to_private_accounts":
    case "spam_risk_user_banned_from_posting":
    case "spam_risk":
      return make(ctx, "permanent", "platform.policy_blocked", msg, base);
    case "internal_error":
      return transient(ctx, msg, base);
  }
  if (httpStatus === 429)
    return make(ctx, "rate_limited", "platform.rate_limited", msg, {
      ...base,
      retryAfterMs: waitFromHeaders(headers, DEFAULT_BACKOFF.rateLimited),
    });
  if (httpStatus >= 500) return transient(ctx, msg, base);
  if (httpStatus === 401) return make(ctx, "auth", "platform.token_invalid", msg, base);
  return make(ctx, "permanent", "platform.rejected", msg, base);
}

/**
 * Classifies a failed `POST /v2/oauth/token/` (TikTok answers `{ error: "invalid_grant",
 * error_description }`, with HTTP 400 or even 200).
 */
export function classifyTikTokOAuthError(
  ctx: CallContext,
  httpStatus: number,
  body: { error?: unknown; error_description?: string } | undefined,
  headers?: HeaderSource,
): PlatformError {
  const code = typeof body?.error === "string" ? body.error : undefined;
  const msg = body?.error_description ? `${code}: ${body.error_description}` : (code ?? `HTTP ${httpStatus}`);
  const base = { httpStatus, platformCode: code };
  const c = { ...ctx, refresh: true, final: false };
  if (code === "invalid_grant" || code === "access_denied" || code === "invalid_refresh_token")
    return make(c, "reconnect", "account.needs_reconnect", `the refresh token is no longer valid: ${msg}`, base);
  if (code === "invalid_client" || code === "unauthorized_client")
    return make(
      c,
      "permanent",
      "platform.client_invalid",
      `Studio's TikTok app credentials were refused: ${msg}`,
      base,
    );
  if (httpStatus === 429 || code === "rate_limit_exceeded")
    return make(c, "rate_limited", "platform.rate_limited", msg, {
      ...base,
      retryAfterMs: waitFromHeaders(headers, DEFAULT_BACKOFF.rateLimited),
    });
  if (httpStatus >= 500 || code === "internal_error" || code === "server_error" || code === "temporarily_unavailable")
    return make(c, "retryable", "platform.unavailable", msg, base);
  if (body && typeof body.error === "object" && body.error !== null)
    return classifyTikTokError(c, httpStatus, body.error as TikTokErrorBody, headers);
  return make(c, "permanent", "platform.rejected", msg, base);
}

/**
 * Error codes that only the connection stage produces (the request cannot have been written):
 * used when the transport could not say whether the request was sent.
 */
const NOT_CONNECTED = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
]);

function causeCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 5 && e && typeof e === "object"; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True for an `AbortSignal.timeout` expiry (the request may have been sent). */
export function isTimeout(err: unknown): boolean {
  let e: unknown = err;
  for (let i = 0; i < 5 && e && typeof e === "object"; i++) {
    const name = (e as { name?: unknown }).name;
    if (name === "TimeoutError") return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Classifies a network failure (fetch threw). `sent` is what the transport saw (platform/http.ts):
 * - `false`: the request never reached a connected socket — refused, DNS failure, connect or
 *   TLS-handshake failure or timeout, or our own timeout running out while connecting. The
 *   platform never received it: evidence of "not sent", so `retryable` even for the final call.
 * - `true`: it was handed to a connected socket. A reset, a dropped connection or a timeout from
 *   here on may follow the platform acting on it: `unknown_outcome` for any POST (the engine
 *   treats a reversible one, such as creating an IG container, as retryable; the final call is
 *   reconciled), `retryable` for idempotent requests and refreshes.
 * - `undefined` (a fetch without the transport's tracking, e.g. a test's): decided from the
 *   error's code — a connection-stage code means not sent, anything else as `true`.
 */
export function classifyNetworkError(ctx: CallContext, err: unknown, sent?: boolean): PlatformError {
  if (err instanceof PlatformError) return err;
  const code = causeCode(err);
  const detail = err instanceof Error ? `${err.message}${code ? ` (${code})` : ""}` : String(err);
  if (sent === false || (sent === undefined && code && NOT_CONNECTED.has(code))) {
    const why = isTimeout(err) ? "no connection before the timeout" : `could not connect: ${detail}`;
    return make(ctx, "retryable", "platform.unreachable", `${why} (the request was not sent)`, { platformCode: code });
  }
  const what = isTimeout(err) ? "no answer before the timeout" : `connection lost: ${detail}`;
  if (ctx.idempotent || ctx.refresh)
    return make(ctx, "retryable", isTimeout(err) ? "platform.timeout" : "platform.unreachable", what, {
      platformCode: code,
    });
  return make(ctx, "unknown_outcome", "platform.outcome_unknown", `${what} (the request may have taken effect)`, {
    platformCode: code,
  });
}
