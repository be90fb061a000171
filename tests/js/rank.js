// Ranks queries with the browser's search-core.js over a built site's directory, so pytest can
// check that the browser and `regsite search` agree hit for hit (tests/test_search_parity.py).
// Usage: node tests/js/rank.js SITE_DIR < queries.json > results.json
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { Searcher } = require("../../templates/static/search-core.js");

async function main() {
  const site = process.argv[2];
  const queries = JSON.parse(fs.readFileSync(0, "utf8"));
  const searcher = new Searcher((file) => JSON.parse(fs.readFileSync(path.join(site, file), "utf8")));
  const results = [];
  for (const query of queries) {
    const found = await searcher.search(query);
    const records = await searcher.records(found.hits.map((hit) => hit.doc));
    results.push({
      query,
      searched: found.query,
      truncated: found.truncated,
      hits: found.hits.map((hit, i) => [records[i].name, hit.tier, hit.matched, hit.score]),
      suggestion: found.suggestion,
    });
  }
  process.stdout.write(JSON.stringify(results));
}

main().catch((error) => {
  process.stderr.write(String(error.stack || error) + "\n");
  process.exit(1);
});
