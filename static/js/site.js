// Enhancements only: every page is complete without this script.
(function () {
  "use strict";

  // Show <time datetime="…Z"> in the reader's own time zone, in the page's language.
  function localiseTimes(root) {
    var format = new Intl.DateTimeFormat(document.documentElement.lang || undefined,
                                         { dateStyle: "medium", timeStyle: "short" });
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
              barStrips(document.getElementById(id));
            }
          });
        })
        .catch(function () { /* offline for a moment: try again next time */ });
    }, seconds * 1000);
  }

  // The day bars: one tab stop per strip (its newest day), the arrow keys, Home and End move
  // along it (a day with a problem is a link, a run of days without one an item of its own);
  // on a touch screen the first tap on a bar shows its tooltip, the second opens the day.
  function barStrips(root) {
    root.querySelectorAll(".bar-strip").forEach(function (strip) {
      var items = Array.prototype.slice.call(strip.querySelectorAll(":scope > li > a, :scope > li[tabindex]"));
      items.forEach(function (item, index) { item.tabIndex = index === items.length - 1 ? 0 : -1; });
      strip.addEventListener("keydown", function (event) {
        // A phone clips the strip to its last 30 days: move among the items it shows.
        var left = strip.getBoundingClientRect().left + 1;
        var shown = items.filter(function (item) { return item.getBoundingClientRect().right > left; });
        var at = shown.indexOf(document.activeElement);
        var to = { ArrowLeft: at - 1, ArrowRight: at + 1, Home: 0, End: shown.length - 1 }[event.key];
        if (at < 0 || to === undefined || to < 0 || to >= shown.length) return;
        event.preventDefault();
        items.forEach(function (item) { item.tabIndex = -1; });
        shown[to].tabIndex = 0;
        shown[to].focus();
      });
      strip.addEventListener("click", function (event) {
        var item = event.target.closest("a, li[tabindex]");
        if (!item) return;
        if (item.tagName !== "A") { item.focus(); return; }
        if (!window.matchMedia("(hover: none)").matches || strip.dataset.shown === item.href) return;
        event.preventDefault();
        strip.dataset.shown = item.href;
        item.focus();
      });
    });
  }

  localiseTimes(document);
  barStrips(document);
  var refresh = document.querySelector('meta[name="refresh-seconds"]');
  if (refresh) refreshBoard(parseInt(refresh.content, 10) || 60);
})();
