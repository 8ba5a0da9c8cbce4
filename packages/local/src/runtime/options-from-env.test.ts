import { describe, expect, it } from "vitest";
import { runtimeOptionsFromEnv } from "./options-from-env";

describe("runtimeOptionsFromEnv", () => {
  it("defaults: port 3000, in memory, every schedule on its expression", () => {
    expect(runtimeOptionsFromEnv({})).toEqual({
      port: 3000,
      dataDir: undefined,
      stage: "local",
      schedules: { periodSeconds: {} },
    });
  });

  it("reads the port, data dir and the dispatcher period", () => {
    const o = runtimeOptionsFromEnv({
      STUDIO_PORT: "4000",
      STUDIO_DATA_DIR: "/tmp/x",
      STUDIO_DISPATCHER_PERIOD_SECONDS: "2",
    });
    expect(o).toMatchObject({ port: 4000, dataDir: "/tmp/x", schedules: { periodSeconds: { publishDispatcher: 2 } } });
  });

  it("the --data flag wins over STUDIO_DATA_DIR", () => {
    expect(runtimeOptionsFromEnv({ STUDIO_DATA_DIR: "/tmp/x" }, { dataDir: "/tmp/y" }).dataDir).toBe("/tmp/y");
  });

  it("selects and speeds up schedules, or turns them off", () => {
    expect(runtimeOptionsFromEnv({ STUDIO_SCHEDULES: "none" }).schedules).toBe(false);
    expect(
      runtimeOptionsFromEnv({
        STUDIO_SCHEDULES: "publishDispatcher,metricsRefresh",
        STUDIO_SCHEDULE_PERIODS: "metricsRefresh=30",
      }).schedules,
    ).toEqual({ only: ["publishDispatcher", "metricsRefresh"], periodSeconds: { metricsRefresh: 30 } });
  });

  it("rejects unknown schedules and bad numbers", () => {
    expect(() => runtimeOptionsFromEnv({ STUDIO_SCHEDULES: "nope" })).toThrow(/unknown schedule/);
    expect(() => runtimeOptionsFromEnv({ STUDIO_SCHEDULE_PERIODS: "nope=3" })).toThrow(/unknown schedule/);
    expect(() => runtimeOptionsFromEnv({ STUDIO_DISPATCHER_PERIOD_SECONDS: "0" })).toThrow(/positive/);
    expect(() => runtimeOptionsFromEnv({ STUDIO_PORT: "abc" })).toThrow(/positive/);
  });
});
