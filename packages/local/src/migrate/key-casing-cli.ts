/**
 * `pnpm migrate:key-casing <table>`: moves items written with lowercased keys to case-exact keys
 * (docs/data-model.md). Uses the usual AWS environment (credentials, region,
 * AWS_ENDPOINT_URL_DYNAMODB for DynamoDB Local). Stop the schedules and the API first.
 */
import { migrateKeyCasing } from "./key-casing";

const table = process.argv[2] ?? process.env.STUDIO_TABLE_NAME;
if (!table) {
  process.stderr.write("usage: pnpm migrate:key-casing <table name>\n");
  process.exit(2);
}
const report = await migrateKeyCasing(table);
process.stdout.write(`${JSON.stringify(report)}\n`);
process.exit(report.skipped > 0 ? 1 : 0);
