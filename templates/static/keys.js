/* "/" moves the keyboard to the search box, as on GitHub, crates.io and MDN: the search page's
 * own box, or the one in the header. Not while typing in a field, nor with a modifier key. */
(function () {
  "use strict";

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) {
      return;
    }
    var box = document.getElementById("search-input") || document.getElementById("site-search-input");
    if (box && box.offsetParent !== null) {
      event.preventDefault();
      box.focus();
      box.select();
    }
  });
})();
