import { db } from "@studio/core/db/service";
import { connectedEnv } from "@studio/local/testing/connected";
import { beforeAll, describe, expect, it } from "vitest";
import { call, image, newAccount, newWorkspace } from "./testing/client";

/** Swaps the case of every letter: `post_AbC` → `POST_aBc`. */
const swapCase = (s: string) => [...s].map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())).join("");

/**
 * Issue 8, part 2: keys keep their case. Platform ids are case-sensitive (TikTok `BrandAbC`
 * and `brandabc` are two accounts) and Studio's own ids are mixed-case base64url.
 */
describe("ids are matched exactly, keys keep their case (connected)", () => {
  let key: string;

  beforeAll(async () => {
    await connectedEnv();
    ({ ownerKey: key } = await newWorkspace("Case"));
  });

  const connect = (externalAccountId: string, accessToken: string) =>
    call("POST", "/v1/accounts", {
      token: key,
      body: {
        platform: "tiktok",
        externalAccountId,
        handle: externalAccountId,
        accessToken,
        refreshToken: `r-${accessToken}`,
      },
    });

  it("TikTok BrandAbC and brandabc are two accounts; the second leaves the first one's tokens alone", async () => {
    const first = await connect("BrandAbC", "act.first-token");
    expect(first.status).toBe(201);
    const before = (await db().entities.account.get({ id: first.body.id }).go()).data!;

    const second = await connect("brandabc", "act.second-token");
    expect(second.status).toBe(201);
    expect(second.body.id).not.toBe(first.body.id);
    expect(second.body.externalAccountId).toBe("brandabc");

    const after = (await db().entities.account.get({ id: first.body.id }).go()).data!;
    expect(after.externalAccountId).toBe("BrandAbC");
    expect(after.accessTokenEnc).toBe(before.accessTokenEnc);
    expect(after.tokenVersion).toBe(before.tokenVersion);

    const list = await call("GET", "/v1/accounts", { token: key });
    expect(list.body.items.map((a: { externalAccountId: string }) => a.externalAccountId).sort()).toEqual([
      "BrandAbC",
      "brandabc",
    ]);

    // Reconnecting the exact id is still the same account (tokens updated in place).
    const again = await connect("BrandAbC", "act.third-token");
    expect(again.body.id).toBe(first.body.id);
  });

  it("a post or account id in another case does not resolve", async () => {
    const accountId = await newAccount(key);
    const post = await call("POST", "/v1/posts", { token: key, body: { accountId, caption: "c", media: image } });
    expect(post.status).toBe(201);
    const id = post.body.id as string;
    expect((await call("GET", `/v1/posts/${id}`, { token: key })).status).toBe(200);
    for (const variant of [id.toUpperCase(), id.toLowerCase(), swapCase(id)].filter((v) => v !== id)) {
      const res = await call("GET", `/v1/posts/${variant}`, { token: key });
      expect(res.status, variant).toBe(404);
      expect(res.body.error.code).toBe("post.not_found");
      expect((await call("POST", `/v1/posts/${variant}/cancel`, { token: key })).status).toBe(404);
    }
    expect((await call("GET", `/v1/accounts/${swapCase(accountId)}`, { token: key })).status).toBe(404);
    expect((await call("GET", `/v1/posts/${id}`, { token: key })).body.status).toBe("draft");
  });

  it("the stored key holds the id exactly as given", async () => {
    const accountId = await newAccount(key, { externalAccountId: "MiXeD-Case_Id" });
    const raw = await db().entities.account.get({ id: accountId }).go({ data: "raw" });
    const item = (raw.data as unknown as { Item: Record<string, string> }).Item;
    expect(item.pk).toContain(accountId);
    expect(item.gsi2pk).toContain("MiXeD-Case_Id");
  });
});
