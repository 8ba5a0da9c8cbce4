import * as Account from "@studio/core/account/account";
import { db } from "@studio/core/db/service";
import { connectedEnv } from "@studio/local/testing/connected";
import { beforeAll, describe, expect, it } from "vitest";
import { call, newWorkspace } from "./testing/client";

describe("accounts (connected)", () => {
  let a: string;
  let b: string;

  beforeAll(async () => {
    await connectedEnv();
    ({ ownerKey: a } = await newWorkspace("A"));
    ({ ownerKey: b } = await newWorkspace("B"));
  });

  const connect = (key: string, over: Record<string, unknown> = {}) =>
    call("POST", "/v1/accounts", {
      token: key,
      body: {
        platform: "tiktok",
        externalAccountId: "open-id-1",
        handle: "acme",
        accessToken: "act.tiktok-access-AAA",
        refreshToken: "rft.tiktok-refresh-AAA",
        expiresAt: "2026-12-01T10:00:00.000+02:00",
        ...over,
      },
    });

  it("connects without ever returning or storing the tokens in clear", async () => {
    const res = await connect(a);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      platform: "tiktok",
      externalAccountId: "open-id-1",
      handle: "acme",
      status: "active",
      expiresAt: "2026-12-01T08:00:00.000Z",
    });
    expect(res.text).not.toMatch(/tiktok-access|tiktok-refresh|Enc/);

    const raw = await db().entities.account.get({ id: res.body.id }).go({ data: "raw" });
    expect(JSON.stringify(raw.data)).toContain(res.body.id);
    expect(JSON.stringify(raw.data)).not.toMatch(/tiktok-access|tiktok-refresh/);
    const { data } = await db().entities.account.get({ id: res.body.id }).go();
    expect(data?.accessTokenEnc).toMatch(/^v1\./);

    const creds = await Account.loadCredentials(res.body.id);
    expect(creds).toMatchObject({ accessToken: "act.tiktok-access-AAA", refreshToken: "rft.tiktok-refresh-AAA" });

    const list = await call("GET", "/v1/accounts", { token: a });
    expect(list.body.items.map((x: { id: string }) => x.id)).toEqual([res.body.id]);
    expect(list.body.nextCursor).toBeNull();
    expect(list.text).not.toMatch(/tiktok-access|tiktok-refresh|Enc/);
    const one = await call("GET", `/v1/accounts/${res.body.id}`, { token: a });
    expect(one.body.id).toBe(res.body.id);
    expect(one.text).not.toMatch(/tiktok-access|tiktok-refresh|Enc/);
  });

  it("reconnects the same platform account instead of duplicating it, and reactivates it", async () => {
    const first = await connect(a, { externalAccountId: "open-id-2" });
    await db()
      .entities.account.patch({ id: first.body.id })
      .set({ status: "needs_reconnect", statusReason: "token revoked" })
      .go();
    const before = await db().entities.account.get({ id: first.body.id }).go();

    const again = await connect(a, {
      externalAccountId: "open-id-2",
      handle: "acme_new",
      accessToken: "act.new-access",
      refreshToken: undefined,
      expiresAt: undefined,
    });
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({
      id: first.body.id,
      status: "active",
      handle: "acme_new",
      statusReason: null,
      expiresAt: null,
    });

    const creds = await Account.loadCredentials(first.body.id);
    expect(creds.accessToken).toBe("act.new-access");
    // No refresh token given: the stored one is kept, never overwritten with nothing.
    expect(creds.refreshToken).toBe("rft.tiktok-refresh-AAA");
    expect(creds.tokenVersion).toBe((before.data?.tokenVersion ?? 0) + 1);

    const list = await call("GET", "/v1/accounts", { token: a });
    expect(
      list.body.items.filter((x: { externalAccountId: string }) => x.externalAccountId === "open-id-2"),
    ).toHaveLength(1);
  });

  it("never duplicates under concurrent first connects", async () => {
    const results = await Promise.all([1, 2, 3, 4].map(() => connect(a, { externalAccountId: "open-id-race" })));
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    const list = await call("GET", "/v1/accounts", { token: a });
    expect(
      list.body.items.filter((x: { externalAccountId: string }) => x.externalAccountId === "open-id-race"),
    ).toHaveLength(1);
  });

  it("keeps workspaces apart: the same platform account in two workspaces, and 404 across", async () => {
    const inA = await connect(a, { externalAccountId: "shared" });
    const inB = await connect(b, { externalAccountId: "shared" });
    expect(inB.status).toBe(201);
    expect(inB.body.id).not.toBe(inA.body.id);

    const cross = await call("GET", `/v1/accounts/${inA.body.id}`, { token: b });
    expect(cross.status).toBe(404);
    expect(cross.body.error.code).toBe("account.not_found");
    const unknown = await call("GET", "/v1/accounts/acct_nope", { token: b });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual(cross.body);
    const listB = await call("GET", "/v1/accounts", { token: b });
    expect(listB.body.items.map((x: { id: string }) => x.id)).toEqual([inB.body.id]);
  });

  it("validates the connect body", async () => {
    const res = await call("POST", "/v1/accounts", {
      token: a,
      body: { platform: "myspace", handle: "x", accessToken: "", expiresAt: "soon" },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(
      ["accessToken", "expiresAt", "externalAccountId", "platform"].sort(),
    );
  });
});
