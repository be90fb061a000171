// node --test tests/js/: the browser's search-core.js against the vectors pytest also runs
// (tests/test_search.py), so the two tokenizers cannot drift apart.
"use strict";
const assert = require("node:assert/strict");
const test = require("node:test");
const search = require("../../templates/static/search-core.js");
const tokenizer = require("../search/tokenizer-vectors.json");
const typos = require("../search/typo-vectors.json");
const order = require("../search/order-vectors.json");

test("the tokenizer id is the one the vectors were written for", () => {
  assert.equal(search.TOKENIZER_ID, tokenizer.tokenizer);
});

for (const vector of tokenizer.vectors) {
  test(`tokenize: ${vector.note}`, () => {
    assert.deepEqual(search.tokenize(vector.text), vector.tokens);
  });
}

test("one typo apart, both ways round", () => {
  for (const [a, b, expected] of typos.vectors) {
    assert.equal(search.oneTypoApart(a, b), expected, `${a} / ${b}`);
    assert.equal(search.oneTypoApart(b, a), expected, `${b} / ${a}`);
  }
});

test("strings compare by code point, as Python sorts them", () => {
  const shuffled = [...order.sorted].reverse();
  assert.deepEqual(shuffled.sort(search.compare), order.sorted);
});

test("a key falls in the last shard whose first key is not after it", () => {
  const boundaries = ["", "d", "m", "𐐨"];
  assert.equal(search.shardIndex(boundaries, "a"), 0);
  assert.equal(search.shardIndex(boundaries, "d"), 1);
  assert.equal(search.shardIndex(boundaries, "lzz"), 1);
  assert.equal(search.shardIndex(boundaries, "\uffff"), 2);
  assert.equal(search.shardIndex(boundaries, "𐐩"), 3);
});

test("typo keys use the first and last two code points and the length", () => {
  assert.deepEqual(search.typoKeys("requests"), ["p:re:08", "s:ts:08"]);
  assert.deepEqual(search.typoKeys("𐐨𐐩𐐪", 4), ["p:𐐨𐐩:04", "s:𐐩𐐪:04"]);
});

test("a manifest in another format is refused", async () => {
  const searcher = new search.Searcher(async () => ({ format: 99 }));
  await assert.rejects(searcher.search("x"), /expected search format 3/);
});

test("a query is cut to its first 100 code points, and says so", async () => {
  const manifest = { format: search.FORMAT, tokenizer: search.TOKENIZER_ID, documents: 0, terms: [""], names: [""], typos: [""] };
  const empty = { keys: [], values: [], records: [] };
  const searcher = new search.Searcher((path) => (path.endsWith("manifest.json") ? manifest : empty));
  const found = await searcher.search("🙂".repeat(99) + "abc");
  assert.equal(search.MAX_QUERY_LENGTH, 100);
  assert.equal(found.truncated, true);
  assert.equal(Array.from(found.query).length, 100);
  assert.deepEqual(found.tokens, ["a"]);
  const short = await searcher.search("🙂");
  assert.equal(short.truncated, false);
  assert.deepEqual(short.hits, []);
});
