import type { EntityItem } from "electrodb";
import { isConditionalFailure } from "../db/conditional";
import { conditionalWrite, createOnce, storedAsWritten } from "../db/own-write";
import { db } from "../db/service";
import { ConflictError, NotFoundError, ValidationError } from "../errors";
import type { Platform } from "../platforms";
import { withCursor } from "../util/cursor";
import { newId } from "../util/id";
import { logger } from "../util/logger";
import { nowIso } from "../util/time";
import { daysBetween, todayIn } from "../util/zone";
import * as Workspace from "../workspace/workspace";
import type { CampaignEntity } from "./campaign.entity";

export type CampaignItem = EntityItem<typeof CampaignEntity>;

/** The longest campaign, in days (both ends included). */
export const MAX_CAMPAIGN_DAYS = 92;
/** Plans one campaign may run (each one's drafts are deleted with the campaign). */
export const MAX_PLANS = 10;

export interface CampaignView {
  id: string;
  name: string;
  startsOn: string;
  endsOn: string;
  goal: string | null;
  platforms: Platform[];
  planIds: string[];
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface CampaignInput {
  name: string;
  startsOn: string;
  endsOn: string;
  goal?: string | null;
  platforms?: Platform[];
}

/**
 * 400 `campaign.invalid_range` unless `startsOn` ≤ `endsOn`, the range spans at most 92 days
 * (both ends included) and it does not end before today in the workspace's time zone. The
 * dates themselves are checked as real `YYYY-MM-DD` dates at the edge.
 *
 * @example
 * checkRange("2026-12-01", "2026-12-31", "Europe/Paris"); // ok
 */
export function checkRange(startsOn: string, endsOn: string, zone: string, now = Date.now()): void {
  const fail = (reason: string) => {
    throw new ValidationError("campaign.invalid_range", reason, { startsOn, endsOn });
  };
  if (startsOn > endsOn) fail("The campaign starts after it ends.");
  const days = daysBetween(startsOn, endsOn) + 1;
  if (days > MAX_CAMPAIGN_DAYS) fail(`The campaign spans ${days} days; at most ${MAX_CAMPAIGN_DAYS}.`);
  const today = todayIn(zone, now);
  if (endsOn < today) fail(`The campaign ends in the past (today is ${today} in ${zone}).`);
}

/**
 * Creates a campaign (400 `campaign.invalid_range`, see checkRange).
 *
 * @example
 * const c = await Campaign.create(ws, { name: "Spring", startsOn: "2026-12-01", endsOn: "2026-12-31" });
 */
export async function create(workspaceId: string, input: CampaignInput, now = Date.now()): Promise<CampaignView> {
  const { timezone } = await Workspace.get(workspaceId);
  checkRange(input.startsOn, input.endsOn, timezone, now);
  const at = nowIso(now);
  const item: CampaignItem = {
    workspaceId,
    id: newId("camp"),
    name: input.name,
    startsOn: input.startsOn,
    endsOn: input.endsOn,
    goal: input.goal ?? undefined,
    platforms: input.platforms ?? [],
    status: "active",
    planIds: [],
    version: 1,
    createdAt: at,
    updatedAt: at,
  };
  // A lost answer's retry fails on our own item: recognised by the id generated here.
  await createOnce({
    what: "campaign.create",
    write: () => db().entities.campaign.create(item).go({ response: "none" }),
    readBack: async () =>
      (await db().entities.campaign.get({ workspaceId, id: item.id }).go({ consistent: true })).data ?? undefined,
    isOurs: (c) => c.createdAt === item.createdAt,
    answer: () => undefined,
  });
  return toView(item);
}

/** The stored campaign, or 404 `campaign.not_found` (absent, another workspace's, or being deleted). */
export async function load(workspaceId: string, id: string): Promise<CampaignItem> {
  const { data } = await db().entities.campaign.get({ workspaceId, id }).go({ consistent: true });
  if (data?.status !== "active") throw new NotFoundError("campaign.not_found", "Campaign not found.");
  return data;
}

export const get = async (workspaceId: string, id: string) => toView(await load(workspaceId, id));

/** The workspace's campaigns, a page at a time (oldest first). */
export async function list(
  workspaceId: string,
  page: { limit?: number; cursor?: string | null } = {},
): Promise<{ items: CampaignView[]; nextCursor: string | null }> {
  const { data, cursor } = await withCursor(page.cursor, () =>
    db()
      .entities.campaign.query.byWorkspace({ workspaceId })
      .where((a, op) => op.eq(a.status, "active"))
      .go({ limit: page.limit ?? 50, pages: 1, cursor: page.cursor ?? null }),
  );
  return { items: data.map(toView), nextCursor: cursor ?? null };
}

/**
 * Changes a campaign's name, dates, goal or platforms; the resulting range is checked again.
 * Conditional on the version read (a concurrent change or deletion: 409 / 404).
 */
export async function update(
  workspaceId: string,
  id: string,
  patch: Partial<CampaignInput>,
  now = Date.now(),
): Promise<CampaignView> {
  const current = await load(workspaceId, id);
  const startsOn = patch.startsOn ?? current.startsOn;
  const endsOn = patch.endsOn ?? current.endsOn;
  if (patch.startsOn !== undefined || patch.endsOn !== undefined) {
    checkRange(startsOn, endsOn, (await Workspace.get(workspaceId)).timezone, now);
  }
  const set = {
    name: patch.name ?? current.name,
    startsOn,
    endsOn,
    platforms: patch.platforms ?? current.platforms ?? [],
    // A goal set to null is cleared (stored as an empty string: ElectroDB cannot set and remove in one patch here).
    goal: patch.goal === undefined ? (current.goal ?? "") : (patch.goal ?? ""),
    version: current.version + 1,
    updatedAt: nowIso(now),
  };
  const outcome = await conditionalWrite({
    what: "campaign.update",
    write: async () => {
      const { data } = await db()
        .entities.campaign.patch({ workspaceId, id })
        .set(set)
        .where((a, op) => `${op.eq(a.version, current.version)} AND ${op.eq(a.status, "active")}`)
        .go({ response: "all_new" });
      return data as CampaignItem;
    },
    readBack: async () =>
      (await db().entities.campaign.get({ workspaceId, id }).go({ consistent: true })).data ?? undefined,
    // Our own update whose answer was lost: the version we set, at our instant, with our values.
    isOurs: (c) => c.status === "active" && storedAsWritten(c, set),
    answer: (c) => c,
  });
  if (outcome.applied) return toView(outcome.value);
  if (outcome.current?.status !== "active") throw new NotFoundError("campaign.not_found", "Campaign not found.");
  throw new ConflictError("campaign.version_conflict", "The campaign changed meanwhile; read it and try again.");
}

/**
 * Deletes a campaign and every draft its plans created (posts already scheduled or published
 * are the user's and stay). First the campaign is marked `deleting`, which stops every plan
 * (each draft is created in a transaction conditional on the campaign being `active`); then the
 * drafts of every plan it lists are deleted (a draft that committed before the mark is in its
 * plan's checkpoint, read after the mark); then the campaign. A crash in between leaves it
 * `deleting` (invisible, 404) and a second DELETE finishes the work.
 *
 * @example
 * await Campaign.remove(ws, id);
 */
export async function remove(
  workspaceId: string,
  id: string,
  draftIdsOfPlan: (planId: string) => Promise<string[]>,
  now = Date.now(),
): Promise<void> {
  const { data: current } = await db().entities.campaign.get({ workspaceId, id }).go({ consistent: true });
  if (!current) throw new NotFoundError("campaign.not_found", "Campaign not found.");
  let marked = current;
  if (current.status === "active") {
    try {
      const { data } = await db()
        .entities.campaign.patch({ workspaceId, id })
        .set({ status: "deleting", version: current.version + 1, updatedAt: nowIso(now) })
        .where((a, op) => op.eq(a.version, current.version))
        .go({ response: "all_new" });
      marked = data as CampaignItem;
    } catch (err) {
      if (!isConditionalFailure(err)) throw err;
      return remove(workspaceId, id, draftIdsOfPlan, now); // changed meanwhile (a plan registered): again
    }
  }
  for (const planId of marked.planIds ?? []) {
    for (const postId of await draftIdsOfPlan(planId)) await deleteDraft(postId, id);
  }
  await db()
    .entities.campaign.delete({ workspaceId, id })
    .where((a, op) => op.eq(a.status, "deleting"))
    .go({ response: "none" })
    .catch((err) => {
      if (!isConditionalFailure(err)) throw err;
    });
}

/** Deletes a post only while it is still a draft of this campaign (a scheduled one is the user's). */
export async function deleteDraft(postId: string, campaignId: string): Promise<void> {
  try {
    await db()
      .entities.post.delete({ id: postId })
      .where((a, op) => `${op.eq(a.status, "draft")} AND ${op.eq(a.campaignId, campaignId)}`)
      .go({ response: "none" });
  } catch (err) {
    if (!isConditionalFailure(err)) throw err;
    logger.info("campaign draft kept: gone already, or no longer a draft", { postId, campaignId });
  }
}

export function toView(c: CampaignItem): CampaignView {
  return {
    id: c.id,
    name: c.name,
    startsOn: c.startsOn,
    endsOn: c.endsOn,
    goal: c.goal || null,
    platforms: (c.platforms ?? []) as Platform[],
    planIds: c.planIds ?? [],
    version: c.version,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt ?? c.createdAt,
  };
}
