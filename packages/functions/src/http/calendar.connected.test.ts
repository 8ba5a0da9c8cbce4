import { getCalendar } from "@studio/core/calendar/calendar";
import { db } from "@studio/core/db/service";
import { localDate } from "@studio/core/util/zone";
import { connectedEnv } from "@studio/local/testing/connected";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, DAY, fromNow, image, newAccount, newWorkspace } from "./testing/client";

type Day = {
  date: string;
  startsAt: string;
  endsAt: string;
  posts: { id: string }[];
  conflicts: { postIds: string[]; accountId: string }[];
};

/**
 * The calendar across DST changes and a 30-minute zone. The process runs in a zone far from
 * every zone tested (Chatham, +13:45), so anything that leaned on the process's TZ would
 * show; util/zone.test.ts runs the boundary checks under four TZ values. Past days are seeded
 * directly (published posts), future ones go through the API.
 */
describe("calendar (connected)", () => {
  let key: string;
  let workspaceId: string;
  let other: string;
  let a: string;
  let b: string;
  const savedTz = process.env.TZ;

  beforeAll(async () => {
    process.env.TZ = "Pacific/Chatham";
    await connectedEnv();
    ({ ownerKey: key, workspaceId } = await newWorkspace("Calendar", "Europe/Paris"));
    ({ ownerKey: other } = await newWorkspace("Other", "Europe/Paris"));
    a = await newAccount(key, { platform: "instagram" });
    b = await newAccount(key, { platform: "instagram" });
  });
  afterAll(() => {
    if (savedTz === undefined) delete process.env.TZ;
    else process.env.TZ = savedTz;
  });

  let seq = 0;
  /** A post stored as it would be after publishing (or in `status`) at `at`. */
  const seed = async (
    at: string,
    opts: { accountId?: string; status?: "published" | "cancelled"; ws?: string } = {},
  ) => {
    seq += 1;
    const id = `post_cal${seq}${Math.random().toString(36).slice(2, 8)}`;
    await db()
      .entities.post.create({
        id,
        workspaceId: opts.ws ?? workspaceId,
        accountId: opts.accountId ?? a,
        platform: "instagram",
        caption: `seeded ${seq}`,
        originalCaption: `seeded ${seq}`,
        media: image as { url: string; type: "image" }[],
        status: opts.status ?? "published",
        version: 3,
        scheduledFor: at,
        calendarAt: at,
        attempts: 1,
        createdAt: at,
        updatedAt: at,
      })
      .go();
    return id;
  };
  const calendar = async (query: string, token = key) => {
    const res = await call("GET", `/v1/calendar?${query}`, { token });
    expect(res.status, res.text).toBe(200);
    return res.body as { timezone: string; days: Day[]; truncated: boolean; nextFrom: string | null };
  };
  const day = (cal: { days: Day[] }, date: string) => cal.days.find((d) => d.date === date) as Day;
  const ids = (d: Day) => d.posts.map((p) => p.id);

  it("spring forward (Paris, 29 March 2026): a 23-hour day, posts placed by local midnight", async () => {
    const lastOf28 = await seed("2026-03-28T22:59:59.999Z");
    const firstOf29 = await seed("2026-03-28T23:00:00.000Z");
    const lastOf29 = await seed("2026-03-29T21:59:59.999Z");
    const firstOf30 = await seed("2026-03-29T22:00:00.000Z");
    const cal = await calendar("from=2026-03-28&to=2026-03-31");
    expect(cal.timezone).toBe("Europe/Paris");
    expect(cal.days.map((d) => d.date)).toEqual(["2026-03-28", "2026-03-29", "2026-03-30"]);
    expect(day(cal, "2026-03-29")).toMatchObject({
      startsAt: "2026-03-28T23:00:00.000Z",
      endsAt: "2026-03-29T22:00:00.000Z",
    });
    expect(ids(day(cal, "2026-03-28"))).toEqual([lastOf28]);
    expect(ids(day(cal, "2026-03-29"))).toEqual([firstOf29, lastOf29]);
    expect(ids(day(cal, "2026-03-30"))).toEqual([firstOf30]);
  });

  it("fall back (New York, 1 November 2026, by ?tz): a 25-hour day; the same instant is another day in Paris", async () => {
    const lateLocal = await seed("2026-11-02T04:30:00.000Z"); // 23:30 in New York (EST), 05:30 on the 2nd in Paris
    const early = await seed("2026-11-01T04:00:00.000Z"); // 00:00 in New York (EDT)
    const ny = await calendar("from=2026-11-01&to=2026-11-02&tz=America/New_York");
    expect(ny.timezone).toBe("America/New_York");
    expect(ny.days).toHaveLength(1);
    expect(ny.days[0]).toMatchObject({ startsAt: "2026-11-01T04:00:00.000Z", endsAt: "2026-11-02T05:00:00.000Z" });
    expect(ids(ny.days[0] as Day)).toEqual([early, lateLocal]);
    const paris = await calendar("from=2026-11-01&to=2026-11-03");
    expect(ids(day(paris, "2026-11-02"))).toContain(lateLocal);
    expect(ids(day(paris, "2026-11-01"))).toContain(early);
  });

  it("a 30-minute offset with DST (Adelaide, 4 October 2026: +09:30 → +10:30)", async () => {
    const before = await seed("2026-10-03T14:29:59.999Z");
    const midnight = await seed("2026-10-03T14:30:00.000Z");
    const end = await seed("2026-10-04T13:29:59.999Z");
    const next = await seed("2026-10-04T13:30:00.000Z");
    const cal = await calendar("from=2026-10-03&to=2026-10-06&tz=Australia/Adelaide");
    expect(day(cal, "2026-10-04")).toMatchObject({
      startsAt: "2026-10-03T14:30:00.000Z",
      endsAt: "2026-10-04T13:30:00.000Z",
    });
    expect(ids(day(cal, "2026-10-03"))).toEqual([before]);
    expect(ids(day(cal, "2026-10-04"))).toEqual([midnight, end]);
    expect(ids(day(cal, "2026-10-05"))).toEqual([next]);
  });

  it("marks conflicts (same account within 10 minutes), across midnight and the range's edge, not across accounts or cancelled posts", async () => {
    // Paris, 15 June 2026 (+02:00): 23:55 and 00:03 the next day.
    const late = await seed("2026-06-15T21:55:00.000Z");
    const early = await seed("2026-06-15T22:03:00.000Z");
    await seed("2026-06-15T21:57:00.000Z", { accountId: b });
    const cancelled = await seed("2026-06-15T22:00:00.000Z", { status: "cancelled" });
    const cal = await calendar("from=2026-06-15&to=2026-06-17");
    for (const date of ["2026-06-15", "2026-06-16"]) {
      expect(day(cal, date).conflicts).toEqual([
        expect.objectContaining({ code: "post.nearby_post", accountId: a, postIds: [late, early] }),
      ]);
    }
    expect(ids(day(cal, "2026-06-16"))).toEqual([cancelled, early]);
    // Asking for the 16th alone still sees the 23:55 post of the 15th it conflicts with.
    const edge = await calendar("from=2026-06-16&to=2026-06-17");
    expect(edge.days[0]?.conflicts[0]?.postIds).toEqual([late, early]);
    expect(ids(edge.days[0] as Day)).toEqual([cancelled, early]);
  });

  it("shows only the caller's workspace", async () => {
    const mine = await seed("2026-07-01T10:00:00.000Z");
    const { workspaceId: otherWs } = await (async () => {
      const res = await call("GET", "/v1/workspace", { token: other });
      return { workspaceId: res.body.id as string };
    })();
    await seed("2026-07-01T10:00:00.000Z", { ws: otherWs });
    const cal = await calendar("from=2026-07-01&to=2026-07-02");
    expect(ids(cal.days[0] as Day)).toEqual([mine]);
    const theirs = await calendar("from=2026-07-01&to=2026-07-02", other);
    expect(ids(theirs.days[0] as Day)).not.toContain(mine);
  });

  it("bounds the range and validates dates and zones (400, never 500)", async () => {
    const cases: [string, string][] = [
      ["from=2026-12-01&to=2026-12-01", "to"],
      ["from=2026-12-02&to=2026-12-01", "to"],
      ["from=2026-12-01&to=2027-02-02", "to"], // 63 days
      ["from=2026-02-30&to=2026-03-02", "from"],
      ["from=2026-12-01T00:00:00Z&to=2026-12-02", "from"],
      ["to=2026-12-02", "from"],
      ["from=2026-12-01&to=2026-12-02&tz=Mars/Olympus", "tz"],
    ];
    for (const [query, path] of cases) {
      const res = await call("GET", `/v1/calendar?${query}`, { token: key });
      expect(res.status, query).toBe(400);
      expect(res.body.error.code).toBe("validation_failed");
      expect(
        res.body.error.details.map((d: { path: string }) => d.path),
        query,
      ).toContain(path);
    }
    const max = await calendar("from=2026-12-01&to=2027-02-01"); // 62 days
    expect(max.days).toHaveLength(62);
  });

  it("reads a bounded number of posts: past it, stops after the last complete day and says where to go on", async () => {
    const { workspaceId: ws } = await newWorkspace("Busy", "Asia/Kolkata");
    for (const at of [
      "2026-05-01T10:00:00.000Z",
      "2026-05-01T11:00:00.000Z",
      "2026-05-02T10:00:00.000Z",
      "2026-05-02T11:00:00.000Z",
      "2026-05-03T10:00:00.000Z",
    ]) {
      await seed(at, { ws });
    }
    const cal = await getCalendar(ws, { from: "2026-05-01", to: "2026-05-04" }, { maxPosts: 3 });
    expect(cal).toMatchObject({ timezone: "Asia/Kolkata", truncated: true, nextFrom: "2026-05-02" });
    expect(cal.days.map((d) => [d.date, d.posts.length])).toEqual([["2026-05-01", 2]]);
    const rest = await getCalendar(ws, { from: "2026-05-02", to: "2026-05-04" }, { maxPosts: 3 });
    expect(rest).toMatchObject({ truncated: false, nextFrom: null });
    expect(rest.days.map((d) => [d.date, d.posts.length])).toEqual([
      ["2026-05-02", 2],
      ["2026-05-03", 1],
    ]);
  });

  describe("calendar operations", () => {
    const draftAt = async (accountId: string, at: string) => {
      const res = await call("POST", "/v1/posts", {
        token: key,
        body: { accountId, caption: "Planned", media: image },
      });
      const scheduled = await call("POST", `/v1/posts/${res.body.id}/schedule`, {
        token: key,
        body: { scheduledFor: at },
      });
      expect(scheduled.status).toBe(200);
      return scheduled.body as { id: string; version: number; warnings: { postId: string }[] };
    };

    it("moving into the past: 400 post.schedule_in_past, the post stays on its day", async () => {
      const at = fromNow(3 * DAY);
      const post = await draftAt(a, at);
      const moved = await call("POST", `/v1/posts/${post.id}/move`, {
        token: key,
        body: { scheduledFor: fromNow(-60_000) },
      });
      expect(moved.status).toBe(400);
      expect(moved.body.error.code).toBe("post.schedule_in_past");
      const date = localDate(at, "Europe/Paris");
      const cal = await calendar(`from=${date}&to=${localDate(Date.parse(at) + DAY, "Europe/Paris")}`);
      expect(ids(day(cal, date))).toContain(post.id);
      expect((await call("GET", `/v1/posts/${post.id}`, { token: key })).body.scheduledFor).toBe(at);
    });

    it("overlapping posts: moving next to another post of the account warns and the calendar marks the conflict", async () => {
      const at = new Date(Date.now() + 5 * DAY);
      const first = await draftAt(a, at.toISOString());
      const second = await draftAt(a, new Date(at.getTime() + 3 * 3_600_000).toISOString());
      const moved = await call("POST", `/v1/posts/${second.id}/move`, {
        token: key,
        body: { scheduledFor: new Date(at.getTime() + 4 * 60_000).toISOString() },
      });
      expect(moved.status).toBe(200);
      expect(moved.body.warnings).toEqual([expect.objectContaining({ code: "post.nearby_post", postId: first.id })]);
      const date = localDate(at.getTime() + 4 * 60_000, "Europe/Paris");
      const cal = await calendar(
        `from=${localDate(at.getTime(), "Europe/Paris")}&to=${localDate(at.getTime() + 2 * DAY, "Europe/Paris")}`,
      );
      expect(day(cal, date).conflicts.some((c) => c.postIds.includes(first.id) && c.postIds.includes(second.id))).toBe(
        true,
      );
    });

    it("a post deleted while it is dragged: the move is 404 and the calendar does not show it", async () => {
      const at = fromNow(4 * DAY);
      const res = await call("POST", "/v1/posts", {
        token: key,
        body: { accountId: b, caption: "Gone", media: image, scheduledFor: at },
      });
      expect((await call("DELETE", `/v1/posts/${res.body.id}`, { token: key })).status).toBe(204);
      const moved = await call("POST", `/v1/posts/${res.body.id}/move`, {
        token: key,
        body: { scheduledFor: fromNow(5 * DAY) },
      });
      expect(moved.status).toBe(404);
      const from = localDate(at, "Europe/Paris");
      const cal = await calendar(`from=${from}&to=${localDate(Date.parse(at) + 3 * DAY, "Europe/Paris")}`);
      expect(cal.days.flatMap(ids)).not.toContain(res.body.id);
    });
  });
});
