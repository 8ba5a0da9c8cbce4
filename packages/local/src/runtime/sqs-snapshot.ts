import { open, readFile, rename } from "node:fs/promises";
import { ListQueuesCommand, SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { logger } from "@studio/core/util/logger";
import type { FauxqsServer } from "fauxqs";

/** A message as fauxqs stores it (its `SqsMessage`), which is what the snapshot keeps. */
export interface StoredMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  messageAttributes: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>;
  md5OfMessageAttributes: string;
  sentTimestamp: number;
  approximateReceiveCount: number;
  approximateFirstReceiveTimestamp?: number;
  delayUntil?: number;
  messageGroupId?: string;
  messageDeduplicationId?: string;
  sequenceNumber?: string;
}

export interface SqsSnapshot {
  version: 1;
  savedAt: number;
  /** Per queue name: visible, delayed (with `delayUntil`, wall clock) and in-flight messages. */
  queues: Record<string, { ready: StoredMessage[]; delayed: StoredMessage[]; inflight: StoredMessage[] }>;
}

/**
 * Keeps fauxqs's messages on disk, because fauxqs 1.9.2 holds them in memory only.
 *
 * - `snapshot()` reads every queue with fauxqs's non-destructive `inspectQueue`.
 * - `start()` writes a snapshot every `intervalMs` when anything changed (the serialized
 *   snapshot differs from the last one written), atomically: temp file, fsync, rename. When a
 *   snapshot takes long to build (a big backlog), the interval stretches to 10× that time so
 *   the runtime is not busy only saving.
 * - `flush()` writes a final one (graceful shutdown).
 * - `restore()` puts the messages back on startup: ready and in-flight ones become visible
 *   (with their receive counts, so the DLQ still triggers after maxReceiveCount overall),
 *   delayed ones stay delayed until their original `delayUntil` (wall clock: downtime counts,
 *   as it would in SQS).
 *
 * Honest limit: a SIGKILL (or power loss) loses what changed since the last snapshot — at
 * most one interval of queue history. Studio recovers from DynamoDB, which is durable on every
 * write: the dispatcher re-sends publish messages for due posts it does not see confirmed, and
 * sweeps expired leases.
 */
export class SqsPersistence {
  private timer: NodeJS.Timeout | undefined;
  private lastWritten = "";
  private writing: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly opts: {
      server: FauxqsServer;
      client: SQSClient;
      file: string;
      /** Only queues whose name starts with this are kept (the runtime's stage). */
      prefix: string;
      intervalMs?: number;
    },
  ) {}

  async snapshot(): Promise<SqsSnapshot> {
    const res = await this.opts.client.send(
      new ListQueuesCommand({ QueueNamePrefix: this.opts.prefix, MaxResults: 1000 }),
    );
    const queues: SqsSnapshot["queues"] = {};
    for (const url of res.QueueUrls ?? []) {
      const name = url.slice(url.lastIndexOf("/") + 1);
      const q = this.opts.server.inspectQueue(name);
      if (!q) continue;
      queues[name] = {
        ready: q.messages.ready.map(copy),
        delayed: q.messages.delayed.map(copy),
        inflight: q.messages.inflight.map((e) => copy(e.message)),
      };
    }
    return { version: 1, savedAt: Date.now(), queues };
  }

  start() {
    const base = this.opts.intervalMs ?? 250;
    const tick = async (delay: number) => {
      this.timer = setTimeout(async () => {
        const started = Date.now();
        await this.save().catch((err) => logger.error("SQS snapshot failed", { error: String(err) }));
        if (!this.stopped) tick(Math.max(base, 10 * (Date.now() - started)));
      }, delay);
      this.timer.unref?.();
    };
    tick(base);
  }

  /** Stops the periodic snapshots and writes a last one. */
  async flush(): Promise<void> {
    this.stopTimer();
    await this.save();
  }

  /** Stops the periodic snapshots without writing (crash simulation). */
  stopTimer() {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** Writes the snapshot if it changed since the last write. Serialized: one write at a time. */
  save(): Promise<void> {
    this.writing = this.writing.then(async () => {
      const snap = await this.snapshot();
      // savedAt changes every time: compare without it.
      const content = JSON.stringify(snap.queues);
      if (content === this.lastWritten) return;
      const tmp = `${this.opts.file}.tmp`;
      const fh = await open(tmp, "w");
      try {
        await fh.writeFile(JSON.stringify({ version: 1, savedAt: snap.savedAt, queues: snap.queues }));
        await fh.datasync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.opts.file);
      this.lastWritten = content;
    });
    return this.writing;
  }

  /**
   * Puts the saved messages back into fauxqs. Each is sent again (the only way into a fauxqs
   * queue from outside) and the stored copy is then given back its identity — message id,
   * sent and first-receive timestamps, receive count, attributes, delay — through the live
   * message object `inspectQueue` returns. Queues that no longer exist are reported, not created.
   */
  async restore(): Promise<{ restored: number; missingQueues: string[] }> {
    let raw: string;
    try {
      raw = await readFile(this.opts.file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { restored: 0, missingQueues: [] };
      throw err;
    }
    const snap = JSON.parse(raw) as SqsSnapshot;
    if (snap.version !== 1) throw new Error(`${this.opts.file}: unknown SQS snapshot version ${snap.version}`);
    let restored = 0;
    const missingQueues: string[] = [];
    const now = Date.now();
    for (const [name, saved] of Object.entries(snap.queues)) {
      const q = this.opts.server.inspectQueue(name);
      if (!q) {
        missingQueues.push(name);
        continue;
      }
      const visible = [...saved.ready, ...saved.inflight].map((m) => ({ ...m, delayUntil: undefined }));
      const delayed = saved.delayed.map((m) =>
        m.delayUntil && m.delayUntil > now ? m : { ...m, delayUntil: undefined },
      );
      const all = [...visible, ...delayed];
      const sentIds = new Map<string, StoredMessage>();
      for (let i = 0; i < all.length; i += 10) {
        const chunk = all.slice(i, i + 10);
        const res = await this.opts.client.send(
          new SendMessageBatchCommand({
            QueueUrl: q.url,
            Entries: chunk.map((m, j) => ({
              Id: String(j),
              MessageBody: m.body,
              DelaySeconds: m.delayUntil ? Math.min(900, Math.ceil((m.delayUntil - Date.now()) / 1000)) : 0,
            })),
          }),
        );
        for (const f of res.Failed ?? []) logger.error("could not restore a message", { queue: name, code: f.Code });
        for (const ok of res.Successful ?? [])
          sentIds.set(ok.MessageId as string, chunk[Number(ok.Id)] as StoredMessage);
      }
      const live = this.opts.server.inspectQueue(name);
      for (const msg of [...(live?.messages.ready ?? []), ...(live?.messages.delayed ?? [])]) {
        const saved = sentIds.get(msg.messageId);
        if (!saved) continue;
        Object.assign(msg, saved);
        if (!saved.delayUntil) delete (msg as { delayUntil?: number }).delayUntil;
        restored++;
      }
    }
    if (missingQueues.length) logger.warn("SQS snapshot names queues that do not exist; skipped", { missingQueues });
    return { restored, missingQueues };
  }
}

const copy = (m: StoredMessage): StoredMessage => ({ ...m, messageAttributes: { ...m.messageAttributes } });
