import { graphError, tiktokError } from "./pipeline";
import type { Reply, SimRequest } from "./sim-http";
import type { SimPlatform, SimState, SimToken } from "./state";

/** The access token of a Graph call: `Authorization: Bearer|OAuth`, or `access_token` in query or body. */
export function graphToken(sim: SimRequest): string | undefined {
  const h = sim.headers.authorization;
  if (h) {
    const m = /^(Bearer|OAuth)\s+(.+)$/i.exec(h);
    if (m) return m[2]!.trim();
  }
  const q = sim.query.get("access_token") ?? sim.body.access_token;
  return typeof q === "string" && q ? q : undefined;
}

export function bearer(sim: SimRequest): string | undefined {
  const m = /^Bearer\s+(.+)$/i.exec(sim.headers.authorization ?? "");
  return m?.[1]?.trim();
}

const invalid = (message: string, subcode?: number) => graphError(400, { code: 190, subcode, message });

/**
 * Checks a Graph token the way Meta answers: absent/unknown → 190, expired → 190/463, revoked →
 * 190/460, someone else's account → 100/33. Unknown tokens are accepted (and remembered) while
 * `autoCreateAccounts` is on.
 */
export function checkGraphToken(
  state: SimState,
  platform: SimPlatform,
  token: string | undefined,
  accountId: string | undefined,
): { error: Reply } | { token: SimToken } {
  if (!token)
    return { error: invalid("An active access token must be used to query information about the current user.") };
  let rec = state.tokens.get(token);
  if (!rec) {
    if (!state.config.autoCreateAccounts)
      return { error: invalid("Invalid OAuth access token - Cannot parse access token") };
    rec = state.issue({
      token,
      platform,
      kind: "access",
      expiresAt: platform === "instagram" ? state.now() + state.config.instagramTokenTtlSec * 1000 : undefined,
    });
  }
  if (rec.platform !== platform || rec.kind !== "access")
    return { error: invalid("Invalid OAuth access token - Cannot parse access token") };
  if (rec.revoked)
    return {
      error: invalid(
        "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.",
        460,
      ),
    };
  if (rec.expiresAt !== undefined && state.now() >= rec.expiresAt)
    return {
      error: invalid(
        `Error validating access token: Session has expired on ${new Date(rec.expiresAt).toUTCString()}. The current time is ${new Date(state.now()).toUTCString()}.`,
        463,
      ),
    };
  if (accountId && rec.accountId && rec.accountId !== accountId)
    return {
      error: graphError(400, {
        code: 100,
        subcode: 33,
        type: "GraphMethodException",
        message: `Unsupported request - Object with ID '${accountId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
      }),
    };
  if (accountId) state.account(platform, accountId);
  return { token: rec };
}

/** TikTok bearer check: anything wrong is 401 access_token_invalid. Returns the account (open_id). */
export function checkTikTokToken(state: SimState, token: string | undefined): { error: Reply } | { accountId: string } {
  const bad = {
    error: tiktokError(401, "access_token_invalid", "The access token is invalid or not found in the request."),
  };
  if (!token) return bad;
  let rec = state.tokens.get(token);
  if (!rec) {
    if (!state.config.autoCreateAccounts) return bad;
    const accountId = `auto_${Buffer.from(token).toString("base64url").slice(0, 12)}`;
    state.account("tiktok", accountId);
    rec = state.issue({
      token,
      platform: "tiktok",
      kind: "access",
      accountId,
      expiresAt: state.now() + state.config.tiktokAccessTtlSec * 1000,
    });
  }
  if (rec.platform !== "tiktok" || rec.kind !== "access" || rec.revoked || !rec.accountId) return bad;
  if (rec.expiresAt !== undefined && state.now() >= rec.expiresAt) return bad;
  return { accountId: rec.accountId };
}
