import { Entity } from "electrodb";
import { PLATFORMS } from "../platforms";

/** The platform names live in a base module (`platforms.ts`); re-exported for the post's callers. */
export { PLATFORMS, type Platform } from "../platforms";

export const POST_STATUSES = [
  "draft",
  "scheduled",
  "publishing",
  "published",
  "failed",
  "unconfirmed",
  "cancelled",
] as const;
export type PostStatus = (typeof POST_STATUSES)[number];

/** Sorts unscheduled drafts after every real instant in the calendar indexes. */
export const UNSCHEDULED = "9999-12-31T23:59:59.999Z";

/**
 * A post and the whole story of its publication (see docs/data-model.md and
 * docs/publishing.md). Every status change is a conditional write on `version`.
 */
export const PostEntity = new Entity({
  model: { entity: "post", version: "1", service: "studio" },
  attributes: {
    id: { type: "string", required: true, readOnly: true },
    workspaceId: { type: "string", required: true, readOnly: true },
    accountId: { type: "string", required: true },
    platform: { type: PLATFORMS, required: true },
    caption: { type: "string", required: true },
    /**
     * The caption the post was created with, kept forever (edits: caption-edit/). Posts written
     * before edits existed lack it: their caption could not change, so it is the original.
     */
    originalCaption: { type: "string" },
    media: {
      type: "list",
      required: true,
      items: {
        type: "map",
        properties: {
          url: { type: "string", required: true },
          type: { type: ["image", "video"] as const, required: true },
        },
      },
    },
    status: { type: POST_STATUSES, required: true },
    /** Bumped by every transition; every write is conditional on it. */
    version: { type: "number", required: true },
    scheduledFor: { type: "string" },
    /** `scheduledFor` or UNSCHEDULED: the sort key of the calendar indexes. */
    calendarAt: { type: "string", required: true },
    /**
     * Sparse index keys. `dueShard` + `dueAt` exist only while `scheduled`; `leaseShard` +
     * `leaseUntil` only while `publishing`. A transition sets or removes them together with the
     * status (publish/transitions.ts), so the due and lease indexes hold exactly those posts.
     * The shard is `shardOf(id)`: one minute's posts spread over all shards.
     */
    dueShard: { type: "number" },
    /** `${scheduledFor}#${id}`. */
    dueAt: { type: "string" },
    leaseShard: { type: "number" },
    leaseUntil: { type: "string" },
    attemptId: { type: "string" },
    attempts: { type: "number", required: true, default: 0 },
    /** Where the worker is in the platform's flow (see publish/steps). */
    step: { type: "string" },
    containerId: { type: "string" },
    publishId: { type: "string" },
    externalPostId: { type: "string" },
    /**
     * The id under which the platform shows the live post, used to read its metrics: Instagram
     * media id, Facebook post id, TikTok video id (known once TikTok makes the video public;
     * until then absent). Items written before this attribute existed have none: the metrics
     * refresh skips them (it does not guess one from `externalPostId`).
     */
    platformPostId: { type: "string" },
    /** Set once the platform answers that the post no longer exists there; metrics stop. */
    removedOnPlatformAt: { type: "string" },
    /**
     * Prepared ahead of the post's time while `scheduled` (publish/prepare.ts), for
     * `preparedVersion` only: the media checked at `preparedAt` and, on Instagram, a container
     * (`preparedContainerId`, created then). Saved without bumping `version`, conditional on it;
     * the claim takes them only when `preparedVersion` is the version it claims (an edit or a
     * move in between leaves them unused: that container is never published) and removes them.
     */
    preparedVersion: { type: "number" },
    preparedAt: { type: "string" },
    preparedContainerId: { type: "string" },
    /** TikTok: the privacy level read from creator_info when the post was prepared. */
    preparedPrivacyLevel: { type: "string" },
    /**
     * TikTok: the privacy level the attempt posts with, taken over from its preparation by the
     * claim (used while the attempt's step is still `prepared`; later attempts ask again).
     */
    privacyLevel: { type: "string" },
    /** When the platform started processing the media (Instagram container created): the processing deadline counts from here. */
    processingSince: { type: "string" },
    /**
     * Held back by an open breaker or a daily cap: the post is `scheduled` again and goes out at
     * this instant (later than `scheduledFor`), unless the user moves or cancels it.
     */
    heldUntil: { type: "string" },
    /** Set before the irreversible call is sent: from here on the post may be live. */
    finalCallAt: { type: "string" },
    /**
     * TikTok (PULL_FROM_URL): the ticket of the media URL the current init hands TikTok
     * (publish/media-pull.ts). TikTok can fetch the video only through it; `pulledTicket` and
     * `pulledAt` record that it did. Closing an unpulled ticket proves the init can never post.
     */
    pullTicket: { type: "string" },
    pulledTicket: { type: "string" },
    pulledAt: { type: "string" },
    /**
     * When the worker picked up the message that claimed the post (before waiting out an early
     * arrival), and when it claimed it: written by the claim itself (no extra write), they show
     * where a post's publish delay went (the benchmark's breakdown).
     */
    receivedAt: { type: "string" },
    claimedAt: { type: "string" },
    /** The version a publish message was last sent for. */
    enqueuedVersion: { type: "number" },
    enqueuedAt: { type: "string" },
    /** Retryable failures of the current scheduling. */
    retries: { type: "number" },
    reconcileAttempts: { type: "number" },
    lastError: {
      type: "map",
      properties: { code: { type: "string" }, message: { type: "string" } },
    },
    publishedAt: { type: "string" },
    campaignId: { type: "string" },
    experimentId: { type: "string" },
    /** The weekly plan (generation id) that proposed this draft. */
    planId: { type: "string" },
    /** The post this one was repurposed from. */
    sourcePostId: { type: "string" },
    /**
     * The latest API writes' tokens (db/own-write.ts), newest first, a few at most: a request
     * whose answer was lost and whose retry then fails its version condition reads the post
     * back and finds its own token here, so it answers success instead of a false 409.
     */
    writeTokens: { type: "list", items: { type: "string" } },
    /**
     * Created with an `Idempotency-Key`: the SHA-256 of the creating request, so a retry with
     * the same key and body gets this post back, and the same key with another body a 409.
     */
    requestHash: { type: "string" },
    createdAt: { type: "string", required: true, readOnly: true },
    updatedAt: { type: "string", required: true },
  },
  indexes: {
    byId: {
      pk: { field: "pk", casing: "none", composite: ["id"] },
      sk: { field: "sk", casing: "none", composite: [] },
    },
    /** Calendar of a workspace by time range. */
    byWorkspace: {
      index: "gsi1",
      pk: { field: "gsi1pk", casing: "none", composite: ["workspaceId"] },
      sk: { field: "gsi1sk", casing: "none", composite: ["calendarAt", "id"] },
    },
    /** Posts of an account around a time (nearby-post warning, reconciliation). */
    byAccount: {
      index: "gsi2",
      pk: { field: "gsi2pk", casing: "none", composite: ["accountId"] },
      sk: { field: "gsi2sk", casing: "none", composite: ["calendarAt", "id"] },
    },
    /** Sparse + sharded: only scheduled posts, by time. Read by the dispatcher, all shards. */
    due: {
      index: "due",
      pk: { field: "duepk", casing: "none", composite: ["dueShard"] },
      sk: { field: "duesk", casing: "none", composite: ["dueAt"] },
    },
    /** Sparse + sharded: only publishing posts, by lease expiry. Read by the lease sweep. */
    lease: {
      index: "lease",
      pk: { field: "leasepk", casing: "none", composite: ["leaseShard"] },
      sk: { field: "leasesk", casing: "none", composite: ["leaseUntil"] },
    },
    /**
     * Sparse: posts of an account by the time they went live (metrics refresh: published in
     * the last 30 days, whenever they were scheduled). The key fields are the attributes
     * themselves, so every write that sets `publishedAt` puts the post in it (db/table.ts).
     */
    byPublished: {
      index: "published",
      pk: { field: "accountId", casing: "none", composite: ["accountId"] },
      sk: { field: "publishedAt", casing: "none", composite: ["publishedAt"] },
    },
  },
});
