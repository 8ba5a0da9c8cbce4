import { ScanCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { dynamo } from "@studio/core/db/client";
import { db } from "@studio/core/db/service";
import { logger } from "@studio/core/util/logger";

/** The attributes that hold index keys (table.ts): everything ElectroDB derives from composites. */
const KEY_FIELD = /^(pk|sk|gsi\d+pk|gsi\d+sk|duepk|duesk|leasepk|leasesk)$/;

type Item = Record<string, unknown>;

interface EntityLike {
  schema: { model: { entity: string; version: string }; attributes: Record<string, unknown> };
  put(item: Item): { params(): { Item: Item } };
}

export interface KeyCasingReport {
  scanned: number;
  moved: number;
  unchanged: number;
  /** Items of no known entity, or whose move lost a race (rerun to retry): left as they were. */
  skipped: number;
}

/**
 * The migration of docs/data-model.md ("Keys keep their case"): rewrites every item whose keys
 * were written lowercased (ElectroDB's default casing, before `casing: "none"`). For each item
 * the entity named by `__edb_e__`/`__edb_v__` rebuilds the keys from the item's own attributes;
 * where they differ, the rebuilt item is put and the old one deleted in one transaction (never
 * lost, never doubled). Idempotent: a rerun finds nothing left to move. An offline operation:
 * stop the schedules and the API first (the one place Studio scans its table).
 *
 * @example
 * await migrateKeyCasing("prod-studio"); // { scanned, moved, unchanged, skipped }
 */
export async function migrateKeyCasing(table: string): Promise<KeyCasingReport> {
  const entities = Object.values(db().entities) as unknown as EntityLike[];
  const byName = new Map(entities.map((e) => [`${e.schema.model.entity}#${e.schema.model.version}`, e]));
  const report: KeyCasingReport = { scanned: 0, moved: 0, unchanged: 0, skipped: 0 };
  let start: Item | undefined;
  do {
    const page = await dynamo().send(new ScanCommand({ TableName: table, ExclusiveStartKey: start, Limit: 200 }));
    for (const item of page.Items ?? []) {
      report.scanned++;
      const entity = byName.get(`${item.__edb_e__}#${item.__edb_v__}`);
      if (!entity) {
        report.skipped++;
        continue;
      }
      const attributes = Object.fromEntries(Object.entries(item).filter(([k]) => k in entity.schema.attributes));
      const rebuilt = entity.put(attributes).params().Item;
      const keys = Object.keys({ ...item, ...rebuilt }).filter((k) => KEY_FIELD.test(k));
      if (keys.every((k) => item[k] === rebuilt[k])) {
        report.unchanged++;
        continue;
      }
      try {
        await dynamo().send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: { TableName: table, Item: rebuilt, ConditionExpression: "attribute_not_exists(pk)" } },
              {
                Delete: {
                  TableName: table,
                  Key: { pk: item.pk, sk: item.sk },
                  ConditionExpression: "attribute_exists(pk)",
                },
              },
            ],
          }),
        );
        report.moved++;
      } catch (err) {
        logger.warn("key casing: item not moved (rerun to retry)", { entity: item.__edb_e__, err });
        report.skipped++;
      }
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return report;
}
