/* Copy buttons beside install lines (docs/pages.md): shown only where this script runs, so a
 * page without JavaScript shows no button that does nothing.  Says "Copied" through the page's
 * status region, which screen readers announce. */
(function () {
  "use strict";

  var status = document.getElementById("copy-status");

  function say(message) {
    if (status) {
      status.textContent = "";
      status.textContent = message;
    }
  }

  function fallback(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    var done = document.execCommand("copy");
    document.body.removeChild(area);
    return done ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () {
        return fallback(text);
      });
    }
    return fallback(text);
  }

  function attach(button) {
    var code = button.parentNode.querySelector("code");
    if (!code) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      copy(code.textContent).then(
        function () {
          button.textContent = "Copied";
          say("Copied: " + code.textContent);
          window.setTimeout(function () {
            button.textContent = "Copy";
          }, 2000);
        },
        function () {
          say("Could not copy; select the command and copy it yourself.");
        }
      );
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("button.copy"), attach);
})();
