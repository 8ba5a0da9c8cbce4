import { randomBytes } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import { decryptSecret, encryptSecret, hashApiKey, newApiKey } from "./secrets";

describe("secrets", () => {
  beforeEach(() => {
    process.env.STUDIO_ENCRYPTION_KEY = randomBytes(32).toString("base64");
  });

  it("round-trips a token bound to its account, without the plaintext in the ciphertext", () => {
    const token = "IGQVJ-long-lived-token-ü-✓";
    const enc = encryptSecret(token, "acct_1");
    expect(enc.startsWith("v1.")).toBe(true);
    expect(enc).not.toContain(token);
    expect(decryptSecret(enc, "acct_1")).toBe(token);
  });

  it("uses a fresh IV each time", () => {
    expect(encryptSecret("same", "a")).not.toBe(encryptSecret("same", "a"));
  });

  it("detects a tampered ciphertext or tag", () => {
    const [v, iv, tag, body] = encryptSecret("secret-token", "acct_1").split(".") as [string, string, string, string];
    const flip = (s: string) => {
      const buf = Buffer.from(s, "base64url");
      buf[0] = (buf[0] ?? 0) ^ 1;
      return buf.toString("base64url");
    };
    expect(() => decryptSecret([v, iv, tag, flip(body)].join("."), "acct_1")).toThrow();
    expect(() => decryptSecret([v, iv, flip(tag), body].join("."), "acct_1")).toThrow();
    expect(() => decryptSecret([v, flip(iv), tag, body].join("."), "acct_1")).toThrow();
  });

  it("refuses a ciphertext moved to another account (wrong additional data)", () => {
    const enc = encryptSecret("secret-token", "acct_1");
    expect(() => decryptSecret(enc, "acct_2")).toThrow();
  });

  it("refuses a ciphertext under another key", () => {
    const enc = encryptSecret("secret-token", "acct_1");
    process.env.STUDIO_ENCRYPTION_KEY = randomBytes(32).toString("base64");
    expect(() => decryptSecret(enc, "acct_1")).toThrow();
  });

  it("rejects unknown formats and bad keys", () => {
    expect(() => decryptSecret("plain-token", "a")).toThrow(/format/);
    process.env.STUDIO_ENCRYPTION_KEY = randomBytes(16).toString("base64");
    expect(() => encryptSecret("x", "a")).toThrow(/32 bytes/);
  });

  it("hashes API keys deterministically and makes distinct keys", () => {
    const key = newApiKey();
    expect(key).toMatch(/^sk_[A-Za-z0-9_-]{43}$/);
    expect(newApiKey()).not.toBe(key);
    expect(hashApiKey(key)).toBe(hashApiKey(key));
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiKey(key)).not.toContain(key.slice(3));
  });
});
