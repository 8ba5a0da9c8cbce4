import { db } from "../db/service";
import { eachPage } from "../util/pages";
import { allShards } from "../util/shard";
import type { WorkspaceItem } from "./workspace";

/**
 * Every workspace, page by page, for the fan-out schedules: one Query per `fanoutShard`
 * partition of the `all` index (gsi1), never a Scan. `each` gets one page at a time.
 *
 * @example
 * await forEachWorkspacePage(async (page) => { for (const w of page) await send(w.id); });
 */
export async function forEachWorkspacePage(each: (page: WorkspaceItem[]) => Promise<void>): Promise<void> {
  await Promise.all(
    allShards().map((fanoutShard) =>
      eachPage((cursor) => db().entities.workspace.query.all({ fanoutShard }).go({ cursor, limit: 200 }), each),
    ),
  );
}
