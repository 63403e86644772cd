// Runs the graphql-http package's GraphQL-over-HTTP server audit against one URL and
// prints ONE JSON document on stdout: {"counts": {status: n}, "results": [...]}.
// Usage: node audit-graphql-http.mjs URL   (run with NODE_PATH naming the node_modules
// that hold graphql-http: tools/npm's package.json, installed by scripts/provision).
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.env.NODE_PATH || process.cwd(), "noop.js"));
const { auditServer } = require("graphql-http");

const url = process.argv[2];
if (!url) {
  console.error("usage: node audit-graphql-http.mjs URL");
  process.exit(2);
}
const results = await auditServer({ url });
const counts = {};
const rows = [];
for (const result of results) {
  counts[result.status] = (counts[result.status] || 0) + 1;
  const row = { id: result.id, name: result.name, status: result.status };
  if (result.status !== "ok") {
    row.reason = result.reason;
    row.httpStatus = result.response.status;
    row.contentType = result.response.headers.get("content-type");
  }
  rows.push(row);
}
console.log(JSON.stringify({ counts, results: rows }));
