// Enhancements only: every page is complete without this script.
(function () {
  "use strict";

  // Show <time datetime="…Z"> in the reader's own time zone.
  function localiseTimes(root) {
    var format = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
    root.querySelectorAll("time[datetime]").forEach(function (node) {
      var when = new Date(node.getAttribute("datetime"));
      if (!isNaN(when)) {
        node.title = node.textContent;
        node.textContent = format.format(when);
      }
    });
  }

  // The front page refreshes its board while the tab is visible.
  function refreshBoard(seconds) {
    setInterval(function () {
      if (document.visibilityState !== "visible") return;
      fetch(window.location.href, { cache: "no-cache", headers: { Accept: "text/html" } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (!html) return;
          // DOMParser never runs scripts; the server escaped all user text.
          var fresh = new DOMParser().parseFromString(html, "text/html");
          ["main"].forEach(function (id) {
            var next = fresh.getElementById(id);
            var current = document.getElementById(id);
            if (next && current) {
              current.replaceWith(document.adoptNode(next));
              localiseTimes(document.getElementById(id));
            }
          });
        })
        .catch(function () { /* offline for a moment: try again next time */ });
    }, seconds * 1000);
  }

  localiseTimes(document);
  var refresh = document.querySelector('meta[name="refresh-seconds"]');
  if (refresh) refreshBoard(parseInt(refresh.content, 10) || 60);
})();
