import { mkdtemp, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { keepEncryptionKey } from "./runtime";

describe("encryption key with data kept on disk", () => {
  const saved = process.env.STUDIO_ENCRYPTION_KEY;
  afterEach(() => {
    process.env.STUDIO_ENCRYPTION_KEY = saved;
  });

  it("generates a key once, keeps it beside the data (0600) and reuses it after a restart", async () => {
    const dir = await mkdtemp(join(tmpdir(), "studio-key-"));
    delete process.env.STUDIO_ENCRYPTION_KEY;
    await keepEncryptionKey(dir);
    const first = process.env.STUDIO_ENCRYPTION_KEY;
    expect(Buffer.from(first ?? "", "base64")).toHaveLength(32);
    expect((await stat(join(dir, "encryption.key"))).mode & 0o777).toBe(0o600);
    delete process.env.STUDIO_ENCRYPTION_KEY; // a new process
    await keepEncryptionKey(dir);
    expect(process.env.STUDIO_ENCRYPTION_KEY).toBe(first);
  });

  it("never replaces a configured key", async () => {
    const dir = await mkdtemp(join(tmpdir(), "studio-key-"));
    process.env.STUDIO_ENCRYPTION_KEY = "configured";
    await keepEncryptionKey(dir);
    expect(process.env.STUDIO_ENCRYPTION_KEY).toBe("configured");
  });
});
