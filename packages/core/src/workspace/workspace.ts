import type { EntityItem } from "electrodb";
import { newKeyItem } from "../api-key/api-key";
import { defaultMonthlyBudgetUsd } from "../config/llm";
import { isConditionalFailure } from "../db/conditional";
import { db } from "../db/service";
import { NotFoundError, ValidationError } from "../errors";
import { newId } from "../util/id";
import { shardOf } from "../util/shard";
import { isTimeZone, nowIso } from "../util/time";
import { isStorableNumber, STORABLE_NUMBER_MESSAGE } from "../validation/number";
import type { WorkspaceEntity } from "./workspace.entity";

export type WorkspaceItem = EntityItem<typeof WorkspaceEntity>;

/** A workspace as the API shows it (no index attributes). */
export interface WorkspaceView {
  id: string;
  name: string;
  timezone: string;
  brandProfile: unknown;
  preferences: unknown;
  /** Retry window past a post's due time, minutes (null: the default, config/publishing.ts). */
  publishRetryWindowMinutes: number | null;
  /** USD per UTC month the LLM features may spend (the default applies when never set). */
  llmMonthlyBudgetUsd: number;
  createdAt: string;
  updatedAt: string;
}

export interface CreateWorkspaceInput {
  name: string;
  timezone: string;
  brandProfile?: unknown;
  publishRetryWindowMinutes?: number;
}

/**
 * Creates a workspace and its first owner key in one transaction (never a workspace nobody can
 * use). The key is returned once.
 *
 * @example
 * const { workspace, apiKey } = await Workspace.create({ name: "Acme", timezone: "Europe/Paris" });
 */
export async function create(
  input: CreateWorkspaceInput,
  now = Date.now(),
): Promise<{ workspace: WorkspaceView; apiKey: string }> {
  if (!isTimeZone(input.timezone)) {
    throw new ValidationError("validation_failed", "Invalid request.", [
      { path: "timezone", message: "Must be an IANA time zone such as Europe/Paris." },
    ]);
  }
  const id = newId("ws");
  const at = nowIso(now);
  const item: WorkspaceItem = {
    id,
    name: input.name,
    timezone: input.timezone,
    brandProfile: input.brandProfile,
    ...(input.publishRetryWindowMinutes !== undefined
      ? { publishRetryWindowMinutes: input.publishRetryWindowMinutes }
      : {}),
    fanoutShard: shardOf(id),
    createdAt: at,
    updatedAt: at,
  };
  const key = newKeyItem(id, "owner", "owner", now);
  const result = await db()
    .transaction.write(({ workspace, apiKey }) => [workspace.create(item).commit(), apiKey.create(key.item).commit()])
    .go();
  if (result.canceled) throw new Error("workspace creation transaction was cancelled");
  return { workspace: toView(item), apiKey: key.apiKey };
}

/** The workspace, or 404 `workspace.not_found`. */
export async function get(id: string): Promise<WorkspaceView> {
  const { data } = await db().entities.workspace.get({ id }).go();
  if (!data) throw new NotFoundError("workspace.not_found", "Workspace not found.");
  return toView(data);
}

export function toView(w: WorkspaceItem): WorkspaceView {
  return {
    id: w.id,
    name: w.name,
    timezone: w.timezone,
    brandProfile: w.brandProfile ?? null,
    preferences: w.preferences ?? null,
    publishRetryWindowMinutes: w.publishRetryWindowMinutes ?? null,
    llmMonthlyBudgetUsd: w.llmMonthlyBudgetUsd ?? defaultMonthlyBudgetUsd(),
    createdAt: w.createdAt,
    updatedAt: w.updatedAt,
  };
}

export interface UpdateWorkspaceInput {
  name?: string;
  timezone?: string;
  brandProfile?: Record<string, unknown> | null;
  preferences?: Record<string, unknown> | null;
  /** null: back to the default budget. */
  llmMonthlyBudgetUsd?: number | null;
  /** null: back to the default retry window. */
  publishRetryWindowMinutes?: number | null;
}

/**
 * `PATCH /v1/workspace` (owner): changes only the fields given; `null` clears a profile, the
 * preferences, or the budget (back to the default). 404 if the workspace is gone.
 *
 * @example
 * await Workspace.update(ws, { brandProfile: { tone: "playful" }, llmMonthlyBudgetUsd: 10 });
 */
export async function update(id: string, input: UpdateWorkspaceInput, now = Date.now()): Promise<WorkspaceView> {
  if (input.timezone !== undefined && !isTimeZone(input.timezone)) {
    throw new ValidationError("validation_failed", "Invalid request.", [
      { path: "timezone", message: "Must be an IANA time zone such as Europe/Paris." },
    ]);
  }
  const budget = input.llmMonthlyBudgetUsd;
  if (budget !== undefined && budget !== null && !(budget >= 0 && isStorableNumber(budget))) {
    throw new ValidationError("validation_failed", "Invalid request.", [
      { path: "llmMonthlyBudgetUsd", message: STORABLE_NUMBER_MESSAGE },
    ]);
  }
  const set: Partial<WorkspaceItem> = { updatedAt: nowIso(now) };
  const remove: Array<"brandProfile" | "preferences" | "llmMonthlyBudgetUsd" | "publishRetryWindowMinutes"> = [];
  if (input.name !== undefined) set.name = input.name;
  if (input.timezone !== undefined) set.timezone = input.timezone;
  for (const key of ["brandProfile", "preferences", "llmMonthlyBudgetUsd", "publishRetryWindowMinutes"] as const) {
    const value = input[key];
    if (value === null) remove.push(key);
    else if (value !== undefined) (set as Record<string, unknown>)[key] = value;
  }
  try {
    const { data } = await db().entities.workspace.patch({ id }).set(set).remove(remove).go({ response: "all_new" });
    return toView(data as WorkspaceItem);
  } catch (err) {
    if (isConditionalFailure(err)) throw new NotFoundError("workspace.not_found", "Workspace not found.");
    throw err;
  }
}

/** The stored workspace (budget, brand profile, zone) for core code, or 404. */
export async function load(id: string): Promise<WorkspaceItem> {
  const { data } = await db().entities.workspace.get({ id }).go();
  if (!data) throw new NotFoundError("workspace.not_found", "Workspace not found.");
  return data;
}
