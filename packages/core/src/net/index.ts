/**
 * Outbound requests to user-supplied URLs: only public addresses (issue 8). Every feature that
 * calls a URL a user gave goes through `outboundFetch`; `checkOutboundUrl` refuses what can be
 * refused before any connection (at creation time, as a 400).
 */
export { addressAllowed, isPublicAddress } from "./address";
export { type OutboundRefusal, OutboundRefusedError } from "./errors";
export { type OutboundInit, outboundFetch } from "./fetch";
export type { LookupFunction } from "./guarded-agent";
export { checkOutboundUrl, type OutboundPolicy, outboundPolicy } from "./policy";
