/* regsite search, format 3: the tokenizer and the ranking, step for step as
 * regsite/search/query.py does them (docs/search.md). No DOM here: node --test loads this file
 * too. Every tie goes to the lower document number, which is the more depended-upon package. */
(function (root, factory) {
  "use strict";
  if (typeof module === "object" && module.exports) {
    module.exports = factory();
  } else {
    root.RegsiteSearch = factory();
  }
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  var FORMAT = 3;
  var TOKENIZER_ID = "nfkc-lower-letters-digits-marks/1";
  var RECORDS_PER_SHARD = 16;
  var RESULTS_PER_PAGE = 10;
  var EXPANSIONS = 8;
  var TYPO_MIN_LENGTH = 3;
  var MAX_QUERY_LENGTH = 100; /* code points of a query searched; the rest is cut */
  var TIERS = ["exact", "joined", "prefix", "text"];
  var TOKEN = /[\p{L}\p{N}][\p{L}\p{N}\p{M}]*/gu;

  function tokenize(text) {
    var normalised = String(text).normalize("NFKC").toLowerCase().replace(/_/g, " ");
    return normalised.match(TOKEN) || [];
  }

  function joinKey(text) {
    return tokenize(text).join("");
  }

  function codePoints(text) {
    return Array.from(text);
  }

  /* Compare by code point, as Python does; plain < compares UTF-16 units. */
  function compare(a, b) {
    var i = 0;
    var j = 0;
    while (i < a.length && j < b.length) {
      var x = a.codePointAt(i);
      var y = b.codePointAt(j);
      if (x !== y) {
        return x < y ? -1 : 1;
      }
      i += x > 0xffff ? 2 : 1;
      j += y > 0xffff ? 2 : 1;
    }
    return (a.length - i > 0 ? 1 : 0) - (b.length - j > 0 ? 1 : 0);
  }

  /* The first index whose key is >= key (bisect_left). */
  function bisectLeft(keys, key) {
    var low = 0;
    var high = keys.length;
    while (low < high) {
      var middle = (low + high) >> 1;
      if (compare(keys[middle], key) < 0) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    return low;
  }

  /* The last shard whose first key is <= key. */
  function shardIndex(boundaries, key) {
    var low = 0;
    var high = boundaries.length;
    while (low < high) {
      var middle = (low + high) >> 1;
      if (compare(key, boundaries[middle]) < 0) {
        high = middle;
      } else {
        low = middle + 1;
      }
    }
    return Math.max(low - 1, 0);
  }

  function pad(length) {
    return length < 10 ? "0" + length : String(length);
  }

  function typoKeys(joined, length) {
    var points = codePoints(joined);
    var size = pad(length === undefined ? points.length : length);
    return [
      "p:" + points.slice(0, 2).join("") + ":" + size,
      "s:" + points.slice(-2).join("") + ":" + size,
    ];
  }

  function sameFrom(a, b, i, j) {
    if (a.length - i !== b.length - j) {
      return false;
    }
    for (; i < a.length; i += 1, j += 1) {
      if (a[i] !== b[j]) {
        return false;
      }
    }
    return true;
  }

  /* One insertion, deletion, substitution or swap of neighbours turns a into b. */
  function oneTypoApart(first, second) {
    var a = codePoints(first);
    var b = codePoints(second);
    if (first === second || Math.abs(a.length - b.length) > 1) {
      return false;
    }
    var start = 0;
    while (start < Math.min(a.length, b.length) && a[start] === b[start]) {
      start += 1;
    }
    if (a.length === b.length) {
      if (sameFrom(a, b, start + 1, start + 1)) {
        return true;
      }
      var swapped = a.slice(start + 1, start + 2).concat(a.slice(start, start + 1), a.slice(start + 2));
      return sameFrom(swapped, b, 0, start);
    }
    return a.length < b.length ? sameFrom(a, b, start, start + 1) : sameFrom(b, a, start, start + 1);
  }

  function startsWith(text, prefix) {
    return text.slice(0, prefix.length) === prefix;
  }

  function postings(flat) {
    var pairs = [];
    var doc = 0;
    for (var i = 0; i < flat.length; i += 2) {
      doc += flat[i];
      pairs.push([doc, flat[i + 1]]);
    }
    return pairs;
  }

  function unique(items) {
    var seen = new Set();
    return items.filter(function (item) {
      if (seen.has(item)) {
        return false;
      }
      seen.add(item);
      return true;
    });
  }

  function SearchError(message) {
    this.name = "SearchError";
    this.message = message;
  }
  SearchError.prototype = Object.create(Error.prototype);

  /* load(path) -> Promise of the parsed JSON at a path relative to the site's root. */
  function Searcher(load) {
    this.load = load;
    this.cache = new Map();
    this.manifest = null;
    this.featured = new Map(); /* doc -> record, from the term shards loaded so far */
  }

  Searcher.prototype.fetch = function (path) {
    if (!this.cache.has(path)) {
      this.cache.set(path, Promise.resolve(this.load(path)));
    }
    return this.cache.get(path);
  };

  Searcher.prototype.open = async function () {
    if (this.manifest === null) {
      var manifest = await this.fetch("search/manifest.json");
      if (!manifest || manifest.format !== FORMAT) {
        throw new SearchError("search/manifest.json: expected search format " + FORMAT);
      }
      if (manifest.tokenizer !== TOKENIZER_ID) {
        throw new SearchError("search/manifest.json: tokenizer is " + manifest.tokenizer);
      }
      this.manifest = manifest;
    }
    return this.manifest;
  };

  Searcher.prototype.shard = async function (kind, index) {
    var shard = await this.fetch("search/" + kind + "/" + index + ".json");
    if (kind === "terms") { /* it holds its terms' best documents' records too */
      var featured = this.featured;
      shard.records.forEach(function (row) {
        featured.set(row[0], record(row[0], row.slice(1)));
      });
    }
    return [shard.keys, shard.values];
  };

  Searcher.prototype.shardFor = async function (kind, key) {
    var manifest = await this.open();
    return this.shard(kind, shardIndex(manifest[kind], key));
  };

  Searcher.prototype.nameDocs = async function (key, kinds) {
    var [keys, values] = await this.shardFor("names", key);
    var at = bisectLeft(keys, key);
    if (at === keys.length || keys[at] !== key) {
      return [];
    }
    var docs = [];
    for (var i = 0; i < values[at].length; i += 2) {
      if (kinds.indexOf(values[at][i + 1]) >= 0) {
        docs.push(values[at][i]);
      }
    }
    return docs.sort(function (x, y) { return x - y; });
  };

  Searcher.prototype.prefixDocs = async function (prefix, exclude) {
    var manifest = await this.open();
    var index = shardIndex(manifest.names, prefix);
    var docs = [];
    for (var shard = index; shard <= index + 1 && shard < manifest.names.length; shard += 1) {
      var [keys, values] = await this.shard("names", shard);
      var at = bisectLeft(keys, prefix);
      while (at < keys.length && startsWith(keys[at], prefix)) {
        if (exclude.indexOf(keys[at]) < 0) {
          for (var i = 0; i < values[at].length; i += 2) {
            docs.push(values[at][i]);
          }
        }
        at += 1;
      }
      if (at < keys.length) {
        break;
      }
    }
    return docs;
  };

  Searcher.prototype.tokenScores = async function (token, expand) {
    var [keys, values] = await this.shardFor("terms", token);
    var at = bisectLeft(keys, token);
    var scores = new Map();
    if (at < keys.length && keys[at] === token) {
      postings(values[at]).forEach(function (pair) { scores.set(pair[0], pair[1]); });
      at += 1;
    }
    if (expand) {
      var longer = [];
      while (at < keys.length && startsWith(keys[at], token)) {
        longer.push([keys[at], values[at]]);
        at += 1;
      }
      longer.sort(function (x, y) { return y[1].length - x[1].length || compare(x[0], y[0]); });
      longer.slice(0, EXPANSIONS).forEach(function (entry) {
        postings(entry[1]).forEach(function (pair) {
          scores.set(pair[0], Math.max(scores.get(pair[0]) || 0, Math.floor(pair[1] / 2)));
        });
      });
    }
    return scores;
  };

  Searcher.prototype.textHits = async function (tokens) {
    var scores = new Map();
    for (var position = 0; position < tokens.length; position += 1) {
      var last = position === tokens.length - 1;
      (await this.tokenScores(tokens[position], last)).forEach(function (score, doc) {
        var entry = scores.get(doc) || [0, 0];
        scores.set(doc, [entry[0] + 1, entry[1] + score]);
      });
    }
    var hits = [];
    scores.forEach(function (entry, doc) {
      hits.push({ doc: doc, tier: "text", matched: entry[0], score: entry[1] });
    });
    return hits.sort(function (x, y) {
      return y.matched - x.matched || y.score - x.score || x.doc - y.doc;
    });
  };

  Searcher.prototype.suggestion = async function (joined) {
    var length = codePoints(joined).length;
    if (length < TYPO_MIN_LENGTH) {
      return null;
    }
    var candidates = new Map();
    for (var size = length - 1; size <= length + 1; size += 1) {
      var keysForSize = typoKeys(joined, size);
      for (var k = 0; k < keysForSize.length; k += 1) {
        var [keys, values] = await this.shardFor("typos", keysForSize[k]);
        var at = bisectLeft(keys, keysForSize[k]);
        if (at < keys.length && keys[at] === keysForSize[k]) {
          for (var i = 0; i < values[at].length; i += 2) {
            candidates.set(values[at][i], values[at][i + 1]);
          }
        }
      }
    }
    var best = null;
    candidates.forEach(function (doc, name) {
      if (oneTypoApart(joinKey(name), joined)) {
        if (best === null || doc < best[0] || (doc === best[0] && compare(name, best[1]) < 0)) {
          best = [doc, name];
        }
      }
    });
    return best && best[1];
  };

  /* -> {query, tokens, hits: [{doc, tier, matched, score}], suggestion, truncated}; query is the
   * part searched: its first MAX_QUERY_LENGTH code points */
  Searcher.prototype.search = async function (query) {
    var points = codePoints(String(query));
    var truncated = points.length > MAX_QUERY_LENGTH;
    query = points.slice(0, MAX_QUERY_LENGTH).join("");
    var tokens = unique(tokenize(query));
    if (tokens.length === 0) {
      return { query: query, tokens: [], hits: [], suggestion: null, truncated: truncated };
    }
    await this.open();
    var name = tokens.join("-");
    var joined = tokens.join("");
    var exact = await this.nameDocs(name, [0]);
    var byJoined = await this.nameDocs(joined, joined === name ? [1] : [0, 1]);
    var prefix = await this.prefixDocs(name, [name, joined]);
    if (joined !== name) {
      prefix = prefix.concat(await this.prefixDocs(joined, [name, joined]));
    }
    prefix = unique(prefix).sort(function (x, y) { return x - y; });
    var ordered = new Map();
    [exact, byJoined, prefix].forEach(function (docs, tier) {
      docs.forEach(function (doc) {
        if (!ordered.has(doc)) {
          ordered.set(doc, { doc: doc, tier: TIERS[tier], matched: 0, score: 0 });
        }
      });
    });
    var text = await this.textHits(tokens);
    text.forEach(function (hit) {
      if (!ordered.has(hit.doc)) {
        ordered.set(hit.doc, hit);
      }
    });
    /* A miss: no name matched, and no package matches every word of the query. */
    var named = exact.length || byJoined.length || prefix.length;
    var complete = text.length > 0 && text[0].matched === tokens.length;
    return {
      query: query,
      tokens: tokens,
      hits: Array.from(ordered.values()),
      suggestion: named || complete ? null : await this.suggestion(joined),
      truncated: truncated,
    };
  };

  function record(doc, row) {
    return {
      doc: doc,
      name: row[0],
      version: row[1],
      summary: row[2],
      status: row[3],
      dependents: row[4],
      url: "packages/" + row[0] + "/",
    };
  }

  /* -> [{doc, name, version, summary, status, dependents, url}] in the order given: from the
   * term shards the queries loaded, else from the record files */
  Searcher.prototype.records = async function (docs) {
    var self = this;
    return Promise.all(docs.map(async function (doc) {
      if (self.featured.has(doc)) {
        return self.featured.get(doc);
      }
      var shard = await self.fetch("search/records/" + Math.floor(doc / RECORDS_PER_SHARD) + ".json");
      return record(doc, shard[doc % RECORDS_PER_SHARD]);
    }));
  };

  return {
    FORMAT: FORMAT,
    MAX_QUERY_LENGTH: MAX_QUERY_LENGTH,
    RESULTS_PER_PAGE: RESULTS_PER_PAGE,
    TOKENIZER_ID: TOKENIZER_ID,
    Searcher: Searcher,
    SearchError: SearchError,
    compare: compare,
    joinKey: joinKey,
    oneTypoApart: oneTypoApart,
    shardIndex: shardIndex,
    tokenize: tokenize,
    typoKeys: typoKeys,
  };
});
