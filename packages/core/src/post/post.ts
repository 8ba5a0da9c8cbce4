import type { EntityItem } from "electrodb";
import type { PostEntity } from "./post.entity";

/** A post as stored. The post domain (create, schedule, move, cancel, list) lives beside this. */
export type PostItem = EntityItem<typeof PostEntity>;
