import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStudio, type TestStudio } from "../testing/studio";

/**
 * On time, not up to a minute late: a post scheduled 20 s ahead is enqueued by the API call
 * itself with its delay (the dispatcher runs on its real one-minute period here), arrives 1–2 s
 * early (Instagram's container is prepared 15 s ahead) and is claimed at its time to the
 * millisecond. The delay reported is
 * publishedAt − scheduledFor. Timings are behaviour here (the promise to the user), with slack
 * for a loaded 2-core machine; the benchmark measures them properly.
 */
describe("publishing on time (connected)", () => {
  let s: TestStudio;
  let key: string;
  beforeAll(async () => {
    s = await startTestStudio({ dispatcherSeconds: 60 });
    ({ key } = await s.workspace());
  });
  afterAll(() => s?.stop());

  it("publishes posts scheduled 20 s ahead within 2 s of their time", async () => {
    const fb = await s.connect(key, "facebook");
    const ig = await s.connect(key, "instagram");
    const tt = await s.connect(key, "tiktok");
    const posts = await Promise.all([
      s.schedule(key, fb.id, { caption: "on time fb", media: [], inMs: 20_000 }),
      s.schedule(key, ig.id, { caption: "on time ig", media: [s.media("image.jpg")], inMs: 20_000 }),
      s.schedule(key, tt.id, { caption: "on time tt", media: [s.media("video.mp4")], inMs: 20_000 }),
    ]);
    const done = await Promise.all(posts.map((p) => s.waitFinal(key, p.id, 40_000)));
    const delays = done.map((p) => Date.parse(p.publishedAt as string) - Date.parse(p.scheduledFor as string));
    console.log(
      `publish delay after scheduledFor (ms): facebook ${delays[0]}, instagram ${delays[1]}, tiktok ${delays[2]}`,
    );
    expect(done.map((p) => p.status)).toEqual(["published", "published", "published"]);
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(0); // never early
    // The promise is 2 s; the suite runs four files at once on two cores, so the test allows
    // more (STUDIO_TIMING_SLACK) and the benchmark reports the real figures.
    const slack = Number(process.env.STUDIO_TIMING_SLACK ?? 3);
    for (const d of delays) expect(d).toBeLessThan(2_000 * slack);
  });
});
