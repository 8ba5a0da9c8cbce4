import type { EntityItem } from "electrodb";
import { createOnce } from "../db/own-write";
import { db } from "../db/service";
import { NotFoundError, ValidationError } from "../errors";
import type { Platform } from "../platforms";
import { withCursor } from "../util/cursor";
import { newId } from "../util/id";
import { nowIso } from "../util/time";
import type { CompetitorEntity, CompetitorStatus } from "./competitor.entity";

export type CompetitorItem = EntityItem<typeof CompetitorEntity>;

export interface CompetitorView {
  id: string;
  platform: Platform;
  handle: string;
  status: CompetitorStatus;
  statusReason: string | null;
  lastRefreshedAt: string | null;
  createdAt: string;
}

/** TikTok offers no official API for another creator's account: said in words, nothing invented. */
export const TIKTOK_UNSUPPORTED =
  "TikTok offers no official API to read another creator's account, so Studio cannot track it (and does not estimate it).";

const HANDLE = /^[A-Za-z0-9._-]{1,100}$/;

/**
 * Starts tracking a competitor: `pending` until the daily refresh reads it (TikTok:
 * `unsupported` at once). The handle is kept as given, without a leading `@`.
 *
 * @example
 * const c = await Competitor.create(workspaceId, { platform: "instagram", handle: "@acme" });
 */
export async function create(
  workspaceId: string,
  input: { platform: Platform; handle: string },
  now = Date.now(),
): Promise<CompetitorView> {
  const handle = input.handle.trim().replace(/^@/, "");
  if (!HANDLE.test(handle))
    throw new ValidationError("validation_failed", "The handle is not a valid account name.", [
      { path: "handle", message: "Letters, digits, '.', '_' or '-', up to 100 characters (a leading @ is fine)." },
    ]);
  const item = {
    id: newId("comp"),
    workspaceId,
    platform: input.platform,
    handle,
    status: (input.platform === "tiktok" ? "unsupported" : "pending") as CompetitorStatus,
    ...(input.platform === "tiktok" ? { statusReason: TIKTOK_UNSUPPORTED } : {}),
    createdAt: nowIso(now),
  };
  // A lost answer's retry fails on our own item: recognised by the id generated here.
  await createOnce({
    what: "competitor.create",
    write: () => db().entities.competitor.create(item).go({ response: "none" }),
    readBack: async () =>
      (await db().entities.competitor.get({ workspaceId, id: item.id }).go({ consistent: true })).data ?? undefined,
    isOurs: (c) => c.createdAt === item.createdAt,
    answer: () => undefined,
  });
  return toView(item);
}

export async function list(
  workspaceId: string,
  page: { limit: number; cursor?: string },
): Promise<{ items: CompetitorView[]; nextCursor: string | null }> {
  const { data, cursor } = await withCursor(page.cursor, () =>
    db()
      .entities.competitor.query.byWorkspace({ workspaceId })
      .go({ limit: page.limit, cursor: page.cursor ?? null }),
  );
  return { items: data.map(toView), nextCursor: cursor ?? null };
}

/** The competitor, or 404 `competitor.not_found` (absent or another workspace's). */
export async function load(workspaceId: string, id: string): Promise<CompetitorItem> {
  const { data } = await db().entities.competitor.get({ workspaceId, id }).go();
  if (!data) throw new NotFoundError("competitor.not_found", "Competitor not found.");
  return data;
}

export const get = async (workspaceId: string, id: string) => toView(await load(workspaceId, id));

/** Stops tracking; its snapshots expire by their TTL. */
export async function remove(workspaceId: string, id: string): Promise<void> {
  await load(workspaceId, id);
  await db().entities.competitor.delete({ workspaceId, id }).go({ response: "none" });
}

/** Snapshots, oldest first (`GET /v1/competitors/{id}/metrics`). */
export async function metrics(
  workspaceId: string,
  id: string,
  page: { limit: number; cursor?: string },
): Promise<{ items: Array<{ capturedAt: string; values: Record<string, number> }>; nextCursor: string | null }> {
  await load(workspaceId, id);
  const { data, cursor } = await withCursor(page.cursor, () =>
    db()
      .entities.competitorMetrics.query.byCompetitor({ competitorId: id })
      .go({ limit: page.limit, cursor: page.cursor ?? null }),
  );
  return { items: data.map((s) => ({ capturedAt: s.capturedAt, values: s.values })), nextCursor: cursor ?? null };
}

export function toView(c: Omit<CompetitorItem, "lastRefreshedAt" | "statusReason"> & Partial<CompetitorItem>) {
  return {
    id: c.id,
    platform: c.platform,
    handle: c.handle,
    status: c.status,
    statusReason: c.statusReason ?? null,
    lastRefreshedAt: c.lastRefreshedAt ?? null,
    createdAt: c.createdAt,
  };
}
