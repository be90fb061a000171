/* The search page: results as you type from the sharded index under search/ (docs/search.md).
 * Everything is built with DOM calls, never innerHTML, so package text cannot become markup. */
(function () {
  "use strict";

  var PAGE = window.RegsiteSearch ? window.RegsiteSearch.RESULTS_PER_PAGE : 10;
  var DELAY = 60; // milliseconds of quiet typing before a query runs
  var ECHO = 60; // characters of the query the status line repeats
  var MAX_QUERY = window.RegsiteSearch ? window.RegsiteSearch.MAX_QUERY_LENGTH : 100;
  var WORD = /[\p{L}\p{N}][\p{L}\p{N}\p{M}]*/gu;

  var app = document.getElementById("search");
  if (!app || !window.RegsiteSearch || !window.fetch) {
    return;
  }
  var root = new URL(app.getAttribute("data-site-root") || "./", document.baseURI);
  var input = document.getElementById("search-input");
  var form = app.querySelector("form");
  var status = document.getElementById("search-status");
  var suggestion = document.getElementById("search-suggestion");
  var list = document.getElementById("search-results");
  var more = document.getElementById("search-more");
  var browse = document.getElementById("search-browse");

  var searcher = new window.RegsiteSearch.Searcher(function (path) {
    return fetch(new URL(path, root)).then(function (response) {
      if (!response.ok) {
        throw new Error(path + ": HTTP " + response.status);
      }
      return response.json();
    });
  });

  var generation = 0;
  var timer = null;
  var current = null;
  var shown = 0;

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  /* Wrap each word of text that a query token matches, or begins, in <mark>. */
  function highlighted(text, tokens) {
    var fragment = document.createDocumentFragment();
    var last = 0;
    var match;
    WORD.lastIndex = 0;
    while ((match = WORD.exec(text)) !== null) {
      var words = window.RegsiteSearch.tokenize(match[0]);
      var hit = words.some(function (word) {
        return tokens.some(function (token) { return word.indexOf(token) === 0; });
      });
      if (hit) {
        fragment.appendChild(document.createTextNode(text.slice(last, match.index)));
        fragment.appendChild(element("mark", "", match[0]));
        last = match.index + match[0].length;
      }
    }
    fragment.appendChild(document.createTextNode(text.slice(last)));
    return fragment;
  }

  function resultItem(record, tokens) {
    var item = element("li", "search-result");
    var link = element("a", "package-name result-link");
    link.href = new URL(record.url + "index.html", root).href;
    link.appendChild(highlighted(record.name, tokens));
    item.appendChild(link);
    if (record.version) {
      item.appendChild(document.createTextNode(" "));
      item.appendChild(element("span", "version", record.version));
    }
    if (record.status === "deprecated") {
      item.appendChild(document.createTextNode(" "));
      item.appendChild(element("span", "badge badge-deprecated", "deprecated"));
    }
    if (record.dependents > 0) {
      var count = record.dependents === 1 ? "1 dependent" : record.dependents + " dependents";
      item.appendChild(document.createTextNode(" "));
      item.appendChild(element("span", "muted dependents", count));
    }
    var summary = element("p");
    summary.appendChild(highlighted(record.summary, tokens));
    item.appendChild(summary);
    return item;
  }

  /* Shows the next page of hits; focus moves to the first new one when focusFirst says so
   * (after "Show more", where the button may disappear from under the keyboard). */
  function showMore(results, mine, focusFirst) {
    var docs = results.hits.slice(shown, shown + PAGE).map(function (hit) { return hit.doc; });
    return searcher.records(docs).then(function (records) {
      if (mine !== generation) {
        return;
      }
      var first = null;
      records.forEach(function (record) {
        var item = resultItem(record, results.tokens);
        first = first || item.querySelector(".result-link");
        list.appendChild(item);
      });
      shown += records.length;
      list.hidden = shown === 0;
      more.hidden = shown >= results.hits.length;
      if (focusFirst && first) {
        first.focus();
      }
    });
  }

  /* The query as the status line echoes it: at most ECHO characters. */
  function echo(query) {
    var points = Array.from(query.trim());
    return "“" + (points.length > ECHO ? points.slice(0, ECHO - 1).join("") + "…" : points.join("")) + "”";
  }

  function describe(results) {
    var count = results.hits.length;
    var noun = count === 1 ? " package matches " : " packages match ";
    status.textContent = count === 0
      ? "No packages match " + echo(results.query) + ". Try fewer words, or a package's name."
      : count + noun + echo(results.query) + ".";
    if (results.truncated) {
      status.textContent += " Only the first " + MAX_QUERY + " characters were searched.";
    }
    suggestion.textContent = "";
    suggestion.hidden = !results.suggestion;
    if (results.suggestion) {
      var link = element("a", "", results.suggestion);
      link.href = "?q=" + encodeURIComponent(results.suggestion);
      link.addEventListener("click", function (event) {
        event.preventDefault();
        input.value = results.suggestion;
        run();
        input.focus();
      });
      suggestion.appendChild(document.createTextNode("Did you mean "));
      suggestion.appendChild(link);
      suggestion.appendChild(document.createTextNode("?"));
    }
  }

  function remember(query) {
    var url = new URL(window.location.href);
    if (query) {
      url.searchParams.set("q", query);
    } else {
      url.searchParams.delete("q");
    }
    window.history.replaceState(null, "", url.href);
  }

  function clear() {
    current = null;
    shown = 0;
    list.textContent = "";
    list.hidden = true;
    more.hidden = true;
    suggestion.hidden = true;
  }

  function run() {
    var query = input.value;
    var mine = ++generation;
    remember(query.trim());
    if (window.RegsiteSearch.tokenize(query).length === 0) {
      clear();
      status.textContent = query.trim()
        ? echo(query) + " has no letters or digits to search for. Try a package's name or a word."
        : "";
      browse.hidden = false;
      return;
    }
    app.setAttribute("aria-busy", "true");
    searcher.search(query).then(function (results) {
      if (mine !== generation) {
        return null;
      }
      clear();
      current = results;
      browse.hidden = true;
      describe(results);
      return showMore(results, mine, false);
    }).catch(function (error) {
      if (mine === generation) {
        clear();
        status.textContent = "Search is unavailable: " + error.message;
      }
    }).then(function () {
      if (mine === generation) {
        app.removeAttribute("aria-busy");
      }
    });
  }

  function links() {
    return Array.prototype.slice.call(list.querySelectorAll(".result-link"));
  }

  function move(event) {
    var all = links();
    var at = all.indexOf(document.activeElement);
    var next = null;
    if (event.key === "ArrowDown") {
      next = at < 0 ? all[0] : all[Math.min(at + 1, all.length - 1)];
    } else if (event.key === "ArrowUp" && at >= 0) {
      next = at === 0 ? input : all[at - 1];
    } else if (event.key === "Escape" && at >= 0) {
      next = input;
    }
    if (next) {
      event.preventDefault();
      next.focus();
    }
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(run, DELAY);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    window.clearTimeout(timer);
    run();
  });
  app.addEventListener("keydown", move);
  more.addEventListener("click", function () {
    if (current) {
      showMore(current, generation, true);
    }
  });

  input.value = new URL(window.location.href).searchParams.get("q") || "";
  if (input.value) {
    run();
  }
  input.focus();
})();
