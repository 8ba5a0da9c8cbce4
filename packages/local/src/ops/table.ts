import Table from "cli-table3";

/**
 * A plain table: a header row, columns aligned with two spaces, no borders, no index column,
 * no quotes; numbers right-aligned. Empty cells for null/undefined.
 *
 * @example
 * console.log(table(["queue", "visible"], [["publish", 3]]));
 */
export function table(head: string[], rows: unknown[][]): string {
  const t = new Table({
    head,
    chars: {
      top: "",
      "top-mid": "",
      "top-left": "",
      "top-right": "",
      bottom: "",
      "bottom-mid": "",
      "bottom-left": "",
      "bottom-right": "",
      left: "",
      "left-mid": "",
      mid: "",
      "mid-mid": "",
      right: "",
      "right-mid": "",
      middle: "  ",
    },
    style: { head: [], border: [], "padding-left": 0, "padding-right": 0, compact: true },
    colAligns: head.map((_, i) => (rows.length && rows.every((r) => typeof r[i] === "number") ? "right" : "left")),
  });
  for (const r of rows) t.push(r.map((c) => (c === null || c === undefined ? "" : String(c))));
  return t
    .toString()
    .split("\n")
    .map((l) => l.trimEnd())
    .join("\n");
}
