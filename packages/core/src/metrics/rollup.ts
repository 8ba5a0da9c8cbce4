import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { MetricValues } from "../config/metrics";
import { dynamo } from "../db/client";
import { isConditionalFailure } from "../db/conditional";
import { db } from "../db/service";
import { nowIso } from "../util/time";

export interface RollupEntry {
  postId: string;
  /** The day the post was published, `YYYY-MM-DD` in the workspace's time zone. */
  date: string;
  values: MetricValues;
  capturedAt: string;
}

/**
 * The calendar day of `instant` in `timeZone`, `YYYY-MM-DD`; independent of the process TZ.
 *
 * @example
 * dayIn("2026-03-29T23:30:00Z", "Europe/Paris") // "2026-03-30"
 */
export function dayIn(instant: string | number | Date, timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(
    new Date(instant),
  );
}

/**
 * Sets the latest values of `entries` in their account's daily roll-up items: one UpdateItem per
 * day touched (a batch of 10 posts published on the same day is one write). The first write of
 * a day creates the item (conditional create), later ones set `posts.<postId>` inside it.
 *
 * @example
 * await writeRollup({ accountId, workspaceId, platform: "instagram" }, entries);
 */
export async function writeRollup(
  owner: { accountId: string; workspaceId: string; platform: string },
  entries: RollupEntry[],
): Promise<number> {
  const byDate = new Map<string, RollupEntry[]>();
  for (const e of entries) byDate.set(e.date, [...(byDate.get(e.date) ?? []), e]);
  let writes = 0;
  for (const [date, group] of byDate) writes += await writeDay(owner, date, group);
  return writes;
}

async function writeDay(
  owner: { accountId: string; workspaceId: string; platform: string },
  date: string,
  group: RollupEntry[],
): Promise<number> {
  const entity = db().entities.accountMetricsDay;
  const { Key, TableName } = entity.get({ accountId: owner.accountId, date }).params() as {
    Key: Record<string, string>;
    TableName: string;
  };
  const names: Record<string, string> = { "#posts": "posts", "#u": "updatedAt" };
  const values: Record<string, unknown> = { ":u": nowIso() };
  const sets = group.map((e, i) => {
    names[`#p${i}`] = e.postId;
    values[`:p${i}`] = { values: e.values, capturedAt: e.capturedAt };
    return `#posts.#p${i} = :p${i}`;
  });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      // Timeline: the day item exists (an earlier batch or run created it) → set the entries.
      await dynamo().send(
        new UpdateCommand({
          TableName,
          Key,
          UpdateExpression: `SET ${sets.join(", ")}, #u = :u`,
          ConditionExpression: "attribute_exists(#posts)",
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return attempt + 1;
    } catch (err) {
      if (!isConditionalFailure(err)) throw err;
    }
    try {
      // … it does not: create it with these entries; losing that race sends us back to the update.
      await entity
        .create({
          accountId: owner.accountId,
          date,
          workspaceId: owner.workspaceId,
          platform: owner.platform,
          posts: Object.fromEntries(group.map((e) => [e.postId, { values: e.values, capturedAt: e.capturedAt }])),
          updatedAt: nowIso(),
        })
        .go({ response: "none" });
      return attempt + 2;
    } catch (err) {
      if (!isConditionalFailure(err)) throw err;
    }
  }
  throw new Error(`could not write the roll-up of ${owner.accountId} for ${date}`);
}
