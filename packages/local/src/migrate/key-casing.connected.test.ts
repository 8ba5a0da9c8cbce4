import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { dynamo } from "@studio/core/db/client";
import { db } from "@studio/core/db/service";
import { beforeAll, describe, expect, it } from "vitest";
import { type ConnectedEnv, connectedEnv } from "../testing/connected";
import { migrateKeyCasing } from "./key-casing";

/** An item as the code before `casing: "none"` wrote it: every key lowercased (ElectroDB's default). */
function legacy(item: Record<string, unknown>) {
  return Object.fromEntries(
    Object.entries(item).map(([k, v]) =>
      /^(pk|sk|gsi\d+pk|gsi\d+sk|duepk|duesk|leasepk|leasesk)$/.test(k) && typeof v === "string"
        ? [k, v.toLowerCase()]
        : [k, v],
    ),
  );
}

describe("key casing migration (connected)", () => {
  let env: ConnectedEnv;
  beforeAll(async () => {
    env = await connectedEnv();
  });

  it("moves lowercased items to case-exact keys, once, and finds them again", async () => {
    const at = new Date().toISOString();
    const account = {
      id: "acct_MiXeD01",
      workspaceId: "ws_CaSe01",
      platform: "tiktok" as const,
      externalAccountId: "BrandAbC",
      handle: "brand",
      status: "active" as const,
      accessTokenEnc: "enc",
      tokenVersion: 1,
      createdAt: at,
      updatedAt: at,
    };
    const item = legacy(db().entities.account.put(account).params().Item as Record<string, unknown>);
    await dynamo().send(new PutCommand({ TableName: env.tableName, Item: item }));
    expect((await db().entities.account.get({ id: account.id }).go()).data).toBeNull();

    const first = await migrateKeyCasing(env.tableName);
    expect(first).toMatchObject({ moved: 1, skipped: 0 });
    expect((await db().entities.account.get({ id: account.id }).go()).data).toMatchObject({
      externalAccountId: "BrandAbC",
      tokenVersion: 1,
    });
    const byExternal = await db()
      .entities.account.query.byExternal({ platform: "tiktok", externalAccountId: "BrandAbC" })
      .go();
    expect(byExternal.data.map((a) => a.id)).toEqual([account.id]);

    // Idempotent: nothing left to move, and the old item is gone (not doubled).
    const second = await migrateKeyCasing(env.tableName);
    expect(second).toMatchObject({ moved: 0, skipped: 0, scanned: first.scanned });
  });
});
