/** Why a user-supplied URL is not called. */
export type OutboundRefusal = "url" | "scheme" | "userinfo" | "port" | "host" | "address" | "redirects";

const MESSAGES: Record<OutboundRefusal, string> = {
  url: "The link is not a valid URL.",
  scheme: "The link must be an http or https URL.",
  userinfo: "The link must not contain a user name or password.",
  port: "The link must use the standard port of its scheme.",
  host: "The link must name a public host.",
  address: "The link must point to a public address on the internet.",
  redirects: "The link redirects too many times or to a link Studio does not follow.",
};

/**
 * A user-supplied URL Studio refuses to call (or to keep following). The message is the same
 * for every target of a kind: it never names the resolved address, the port that answered,
 * nor anything the target said, so a refusal reveals nothing about an internal network.
 */
export class OutboundRefusedError extends Error {
  constructor(readonly reason: OutboundRefusal) {
    super(MESSAGES[reason]);
    this.name = "OutboundRefusedError";
  }
}
