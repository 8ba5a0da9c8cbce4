import { createHash } from "node:crypto";
import { SHARDS } from "../db/table";

/** The shard (0…SHARDS-1) of an id: stable, uniform, so one minute's posts spread over all shards. */
export function shardOf(id: string): number {
  return createHash("sha1").update(id).digest().readUInt16BE(0) % SHARDS;
}

export const allShards = () => Array.from({ length: SHARDS }, (_, i) => i);
