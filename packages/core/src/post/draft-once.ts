import { isConditionalFailure } from "../db/conditional";
import { db } from "../db/service";
import type { Platform } from "../platforms";
import { nowIso } from "../util/time";
import { type MediaInput, type PostItem, type PostView, toView } from "./post";
import { UNSCHEDULED } from "./post.entity";
import { checkCaption } from "./rules";

export interface DraftOnceInput {
  accountId: string;
  platform: Platform;
  caption: string;
  media: MediaInput[];
  /** Suggested time (UTC ISO, already checked by the caller); the draft is not scheduled. */
  scheduledFor?: string;
  planId?: string;
  sourcePostId?: string;
  campaignId?: string;
}

/**
 * Creates a `draft` with an id the caller derived from its own work (a plan's n-th proposal, a
 * repurposing's target), exactly once: the create is conditional on the id being new, and an
 * existing draft of the same workspace is returned as is. So a run that failed half way (the
 * table failing after the LLM answered) and is retried writes only the drafts that are missing.
 * Media may be empty for now (a planned Instagram or TikTok post gets its media before it is
 * scheduled: scheduling checks the media rules); the caption rule holds at once.
 *
 * @example
 * const post = await createDraftOnce(ws, childId("post", planId, "0"), { accountId, platform, caption, media: [], planId });
 */
export async function createDraftOnce(
  workspaceId: string,
  id: string,
  input: DraftOnceInput,
  now = Date.now(),
): Promise<PostView> {
  checkCaption(input.platform, input.caption);
  const at = nowIso(now);
  const item: PostItem = {
    id,
    workspaceId,
    accountId: input.accountId,
    platform: input.platform,
    caption: input.caption,
    originalCaption: input.caption,
    media: input.media.map((m) => ({ url: m.url, type: m.type })),
    status: "draft",
    version: 1,
    scheduledFor: input.scheduledFor,
    calendarAt: input.scheduledFor ?? UNSCHEDULED,
    attempts: 0,
    planId: input.planId,
    sourcePostId: input.sourcePostId,
    campaignId: input.campaignId,
    createdAt: at,
    updatedAt: at,
  };
  try {
    await db().entities.post.create(item).go({ response: "none" });
    return toView(item);
  } catch (err) {
    if (!isConditionalFailure(err)) throw err;
    const { data } = await db().entities.post.get({ id }).go({ consistent: true });
    if (!data || data.workspaceId !== workspaceId) throw err;
    return toView(data);
  }
}
