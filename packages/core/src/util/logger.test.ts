import { afterEach, describe, expect, it, vi } from "vitest";
import { defaultLogLevel, logger, redact, redactString } from "./logger";

describe("redactString", () => {
  it("redacts tokens in query strings, JSON, bearer headers and keys", () => {
    const s = redactString(
      'GET https://graph.instagram.com/v23.0/me?fields=id&access_token=IGQVJtoken123&x=1 {"refresh_token":"rt-abc"} Bearer abc.def sk_AAAAAAAAAAAAAAAAAAAAAAAA client_secret=cs1',
    );
    expect(s).toContain("access_token=[redacted]&x=1");
    expect(s).toContain('"refresh_token":"[redacted]"');
    expect(s).toContain("Bearer [redacted]");
    expect(s).toContain("sk_[redacted]");
    expect(s).toContain("client_secret=[redacted]");
    for (const secret of ["IGQVJtoken123", "rt-abc", "abc.def", "AAAAAAAAAAAAAAAAAAAAAAAA", "cs1"]) {
      expect(s).not.toContain(secret);
    }
  });

  it("leaves ordinary text alone", () => {
    const s = 'post.not_found: {"code":"post.not_found","status":404} https://cdn.example.com/a.jpg?w=1';
    expect(redactString(s)).toBe(s);
  });
});

describe("redact", () => {
  it("redacts deeply, by key name and by value, without mutating the input", () => {
    const input = {
      accessToken: "at-1",
      nested: { refreshTokenEnc: "v1.x.y.z", list: ["https://x/?access_token=at-2"], ok: "fine" },
      authorization: "Bearer at-3",
    };
    const out = redact(input);
    expect(JSON.stringify(out)).not.toMatch(/at-1|at-2|at-3|v1\.x\.y\.z/);
    expect(out.nested.ok).toBe("fine");
    expect(input.accessToken).toBe("at-1");
  });

  it("turns errors (and their causes) into redacted objects", () => {
    const err = new Error("request to https://x/?access_token=tok-1 failed", {
      cause: new Error("Bearer tok-2"),
    });
    const out = redact({ err }) as unknown as { err: { message: string; stack: string; cause: { message: string } } };
    expect(JSON.stringify(out)).not.toMatch(/tok-1|tok-2/);
    expect(out.err.message).toContain("access_token=[redacted]");
    expect(out.err.cause.message).toContain("Bearer [redacted]");
  });

  it("keeps counts and flags under secret-sounding names (token counts are not tokens)", () => {
    const out = redact({
      promptTokens: 1200,
      completionTokens: 300,
      tokenVersion: 2,
      hasToken: true,
      accessToken: "x",
    });
    expect(out).toEqual({
      promptTokens: 1200,
      completionTokens: 300,
      tokenVersion: 2,
      hasToken: true,
      accessToken: "[redacted]",
    });
  });

  it("survives cycles", () => {
    const a: Record<string, unknown> = { name: "a" };
    a.self = a;
    expect(() => JSON.stringify(redact(a))).not.toThrow();
  });
});

describe("logger", () => {
  const level = logger.getLevelName();
  afterEach(() => {
    vi.restoreAllMocks();
    logger.setLogLevel(level);
  });

  it("logs at WARN by default outside AWS Lambda, INFO in it, and as configured", () => {
    expect(defaultLogLevel({})).toBe("WARN");
    expect(defaultLogLevel({ AWS_LAMBDA_FUNCTION_NAME: "test-studio-api" })).toBe("INFO");
    expect(defaultLogLevel({ STUDIO_LOG_LEVEL: "DEBUG", AWS_LAMBDA_FUNCTION_NAME: "f" })).toBe("DEBUG");
    expect(defaultLogLevel({ POWERTOOLS_LOG_LEVEL: "ERROR" })).toBe("ERROR");
  });

  it("prints no secret, whatever the call site passes", () => {
    const lines: string[] = [];
    const capture = (chunk: unknown) => {
      lines.push(String(chunk));
      return true;
    };
    vi.spyOn(process.stdout, "write").mockImplementation(capture as never);
    vi.spyOn(process.stderr, "write").mockImplementation(capture as never);
    logger.setLogLevel("INFO");
    const token = "EAAG-very-secret-token-42";
    logger.info(`calling https://graph.facebook.com/v23.0/me?access_token=${token}`, {
      accessToken: token,
      url: `https://graph.facebook.com/v23.0/me?access_token=${token}`,
    });
    logger.error("platform call failed", new Error(`GET /me?access_token=${token} → 400`));
    logger.warn("refresh", { err: new Error("bad", { cause: { response: `{"access_token":"${token}"}` } }) });
    const out = lines.join("");
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(out).toContain("access_token=[redacted]");
    expect(out).not.toContain(token);
  });
});
