import { describe, expect, it, vi } from "vitest";
import {
  conditionalWrite,
  createOnce,
  hasWrite,
  KEPT_WRITE_TOKENS,
  newWriteToken,
  rememberWrite,
  storedAsWritten,
} from "./own-write";

/** What ElectroDB throws for ConditionalCheckFailed (the message is what isConditionalFailure reads). */
const conditionFailed = () =>
  Object.assign(new Error('Error thrown by DynamoDB client: "The conditional request failed"'));

interface Stored {
  id: string;
  writeTokens?: string[];
  version: number;
}

describe("conditionalWrite", () => {
  it("answers the write's own value when it succeeds, without reading back", async () => {
    const readBack = vi.fn();
    const outcome = await conditionalWrite<string, Stored>({
      what: "t",
      write: async () => "written",
      readBack,
      isOurs: () => true,
      answer: () => "recognised",
    });
    expect(outcome).toEqual({ applied: true, value: "written", recognised: false });
    expect(readBack).not.toHaveBeenCalled();
  });

  it("a conditional failure against our own write (the retry of a lost answer) is success, answered from the stored item", async () => {
    const token = newWriteToken();
    const mine: Stored = { id: "p", writeTokens: [token], version: 2 };
    const outcome = await conditionalWrite<Stored, Stored>({
      what: "t",
      write: async () => {
        throw conditionFailed();
      },
      readBack: async () => mine,
      isOurs: (p) => hasWrite(p.writeTokens, token),
      answer: (p) => p,
    });
    expect(outcome).toEqual({ applied: true, value: mine, recognised: true });
  });

  it("a conditional failure against someone else's write stays a failure, with what is stored and the error", async () => {
    const error = conditionFailed();
    const theirs: Stored = { id: "p", writeTokens: [newWriteToken()], version: 2 };
    const outcome = await conditionalWrite<Stored, Stored>({
      what: "t",
      write: async () => {
        throw error;
      },
      readBack: async () => theirs,
      isOurs: (p) => hasWrite(p.writeTokens, newWriteToken()),
      answer: (p) => p,
    });
    expect(outcome).toEqual({ applied: false, current: theirs, error });
  });

  it("an absent item after a conditional failure is a failure with nothing stored (never asks isOurs)", async () => {
    const isOurs = vi.fn(() => true);
    const outcome = await conditionalWrite<Stored, Stored>({
      what: "t",
      write: async () => {
        throw conditionFailed();
      },
      readBack: async () => undefined,
      isOurs,
      answer: (p) => p,
    });
    expect(outcome.applied).toBe(false);
    expect(isOurs).not.toHaveBeenCalled();
  });

  it("other errors pass through unchanged, without a read", async () => {
    const readBack = vi.fn();
    const boom = new Error("ProvisionedThroughputExceeded");
    await expect(
      conditionalWrite({ what: "t", write: () => Promise.reject(boom), readBack, isOurs: () => true, answer: () => 1 }),
    ).rejects.toBe(boom);
    expect(readBack).not.toHaveBeenCalled();
  });
});

describe("createOnce", () => {
  it("throws the original conditional failure when the existing item is not ours", async () => {
    const error = conditionFailed();
    await expect(
      createOnce({
        what: "t",
        write: () => Promise.reject(error),
        readBack: async () => ({ createdAt: "someone else's" }),
        isOurs: (c) => c.createdAt === "ours",
        answer: () => "x",
      }),
    ).rejects.toBe(error);
  });

  it("answers when the existing item is ours", async () => {
    await expect(
      createOnce({
        what: "t",
        write: () => Promise.reject(conditionFailed()),
        readBack: async () => ({ createdAt: "ours" }),
        isOurs: (c) => c.createdAt === "ours",
        answer: () => "created",
      }),
    ).resolves.toBe("created");
  });
});

describe("write tokens", () => {
  it("keep ours first and the latest few before it", () => {
    let tokens: string[] | undefined;
    const all = Array.from({ length: KEPT_WRITE_TOKENS + 2 }, () => newWriteToken());
    for (const t of all) tokens = rememberWrite(tokens, t);
    expect(tokens).toEqual(all.slice(-KEPT_WRITE_TOKENS).reverse());
    expect(hasWrite(tokens, all.at(-1) as string)).toBe(true);
    expect(hasWrite(tokens, all[0] as string)).toBe(false);
    expect(hasWrite(undefined, all[0] as string)).toBe(false);
  });

  it("are unique per write", () => {
    expect(new Set(Array.from({ length: 100 }, newWriteToken)).size).toBe(100);
  });
});

describe("storedAsWritten", () => {
  const set = { name: "Spring", platforms: ["instagram"], version: 3, updatedAt: "2026-11-28T20:00:00.000Z" };
  it("holds when every attribute set is stored as written (extra stored attributes are fine)", () => {
    expect(storedAsWritten({ ...set, id: "c", createdAt: "x" }, set)).toBe(true);
  });
  it("fails on any attribute that differs: another write at the same version, or a later one", () => {
    expect(storedAsWritten({ ...set, name: "Autumn" }, set)).toBe(false);
    expect(storedAsWritten({ ...set, platforms: ["tiktok"] }, set)).toBe(false);
    expect(storedAsWritten({ ...set, version: 4 }, set)).toBe(false);
    expect(storedAsWritten({ ...set, updatedAt: "2026-11-28T20:00:00.001Z" }, set)).toBe(false);
  });
});
