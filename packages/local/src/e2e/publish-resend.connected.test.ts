import type { SendMessageBatchCommandInput } from "@aws-sdk/client-sqs";
import { publishTiming } from "@studio/core/config/publishing";
import { dispatch } from "@studio/core/publish/dispatcher";
import { createSqs, setSqs } from "@studio/core/queue/sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStudio, type TestStudio } from "../testing/studio";

/**
 * A publish message the queue acknowledged and then lost (fauxqs killed before its snapshot, an
 * SQS incident): the post is recorded as sent, so only the dispatcher's re-send brings it out —
 * `dispatch.resendAfterMs` after its time (config/publishing.ts, production's 2 min). The
 * dispatcher is driven by hand with its own clock, so the bound itself is tested, to the second,
 * without waiting for it.
 */
describe("a lost publish message is sent again (connected)", () => {
  let s: TestStudio;
  let key: string;
  let fb: string;
  beforeAll(async () => {
    delete process.env.STUDIO_RESEND_AFTER_MS; // production's value
    s = await startTestStudio({ schedules: false });
    ({ key } = await s.workspace());
    fb = (await s.connect(key, "facebook")).id;
  });
  afterAll(() => s?.stop());

  it("not before resendAfterMs past its time, then once, and the post goes out once", async () => {
    const resendAfterMs = publishTiming().dispatch.resendAfterMs;
    expect(resendAfterMs).toBe(120_000);
    // A queue that answers "sent" to the API's send and keeps nothing.
    const publishUrl = (s.runtime.queues.publish as { url: string }).url;
    let lost = 0;
    const lossy = createSqs({ endpoint: s.runtime.sqsEndpoint });
    lossy.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as SendMessageBatchCommandInput;
        if (context.commandName !== "SendMessageBatchCommand" || input.QueueUrl !== publishUrl) return next(args);
        lost += input.Entries?.length ?? 0;
        const Successful = (input.Entries ?? []).map((e) => ({
          Id: e.Id,
          MessageId: `lost-${e.Id}`,
          MD5OfMessageBody: "",
        }));
        return { output: { Successful, Failed: [], $metadata: {} }, response: {} } as never;
      },
      { step: "initialize", name: "loseMessages" },
    );
    const caption = `lost message ${Date.now()}`;
    setSqs(lossy);
    let post: Awaited<ReturnType<TestStudio["schedule"]>>;
    try {
      post = await s.schedule(key, fb, { caption, media: [], inMs: 1500 });
    } finally {
      setSqs(undefined);
    }
    expect(lost).toBe(1);
    const due = Date.parse(post.scheduledFor as string);

    // Still scheduled past its time: its message is gone, and it was recorded as sent.
    const stale = await s.waitFor(key, post.id, () => Date.now() > due + 3_000, 10_000);
    expect(stale.status).toBe("scheduled");

    // A second before the bound, the dispatcher leaves it (the message may only be slow)…
    const before = await dispatch({ now: () => due + resendAfterMs - 1_000 });
    expect(before.resent).toBe(0);
    // …a second after it, sends it again; the run after that does not send it a third time.
    const after = await dispatch({ now: () => due + resendAfterMs + 1_000 });
    expect(after.resent).toBe(1);
    const next = await dispatch({ now: () => due + resendAfterMs + 2_000 });
    expect(next.resent).toBe(0);

    const done = await s.waitFinal(key, post.id);
    expect(done.status).toBe("published");
    expect(s.copies(caption)).toBe(1);
  });
});
