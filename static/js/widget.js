/* Stashboard status banner: drop into any page to show a banner while a service is not normal.
 *
 *   <script src="https://status.example.com/static/js/widget.js" async></script>
 *
 * Optional attributes: data-service="web-api" watches one service only;
 * data-target="element-id" puts the banner inside that element instead of at the top of the page.
 * It reads the board's public API (which allows any origin) and inserts every text from the
 * board with textContent, never as HTML.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !script.src) return;
  var origin = new URL(script.src).origin;
  var serviceId = script.getAttribute("data-service");
  var targetId = script.getAttribute("data-target");
  var EVERY_MS = 5 * 60 * 1000;
  var COLOURS = {
    WARNING: ["#fff5e0", "#6b3b00", "#bf6a02"],
    ERROR: ["#fdecec", "#8a1c1c", "#cf222e"],
    CRITICAL: ["#f9dada", "#6e0f0f", "#a40e26"]
  };
  var SEVERITY = { NORMAL: 0, WARNING: 1, ERROR: 2, CRITICAL: 3 };
  var banner = null;

  function apiUrl() {
    var path = serviceId ? "/api/v1/services/" + encodeURIComponent(serviceId) : "/api/v1/services";
    return origin + path;
  }

  function troubled(services) {
    return services.filter(function (service) {
      var event = service["current-event"];
      return event && event.status && event.status.level !== "NORMAL";
    }).sort(function (a, b) {
      return SEVERITY[b["current-event"].status.level] - SEVERITY[a["current-event"].status.level];
    });
  }

  // Each text from the board reads in its own direction (an Arabic or Hebrew name right to left).
  function text(tag, value) {
    var node = document.createElement(tag);
    node.textContent = value;
    node.dir = "auto";
    return node;
  }

  function render(services) {
    var bad = troubled(services);
    if (banner) {
      banner.remove();
      banner = null;
    }
    if (!bad.length) return;
    var worst = bad[0]["current-event"].status.level;
    var colours = COLOURS[worst] || COLOURS.WARNING;
    banner = document.createElement("div");
    banner.className = "stashboard-banner";
    banner.setAttribute("role", "status");
    banner.style.cssText =
      "font:15px/1.4 system-ui,sans-serif;padding:10px 14px;border-left:6px solid;margin:0 0 8px;";
    banner.style.background = colours[0];
    banner.style.color = colours[1];
    banner.style.borderLeftColor = colours[2];
    bad.forEach(function (service) {
      var event = service["current-event"];
      var line = document.createElement("div");
      line.appendChild(text("strong", service.name + ": " + event.status.name));
      line.appendChild(document.createTextNode(" \u2014 "));
      line.appendChild(text("span", event.message));
      banner.appendChild(line);
    });
    var link = text("a", "Status page");
    link.href = origin + "/";
    link.style.color = "inherit";
    banner.appendChild(link);
    var target = targetId && document.getElementById(targetId);
    if (target) {
      target.appendChild(banner);
    } else {
      document.body.insertBefore(banner, document.body.firstChild);
    }
  }

  function check() {
    fetch(apiUrl(), { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (body) render(body.services || [body]);
      })
      .catch(function () { /* the board is unreachable: show nothing rather than a wrong banner */ });
  }

  function start() {
    check();
    setInterval(check, EVERY_MS);
  }

  if (document.body) {
    start();
  } else {
    document.addEventListener("DOMContentLoaded", start);
  }
})();
