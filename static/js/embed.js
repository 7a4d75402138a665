/* Statuspage-compatible status embed, served at /embed/script.js: a site that embedded
 *
 *   <script src="https://yourpage.statuspage.io/embed/script.js"></script>
 *
 * switches to this board by changing the host. While the board has an unresolved incident,
 * maintenance in progress or a component not operational, a small pop-up in a corner of the
 * page names it, with its latest update and a link to the status page; it can be dismissed.
 * All well, nothing shows. It reads /api/v2/summary.json (any origin may) every few minutes,
 * and inserts every text from the board with textContent, never as HTML.
 *
 * Optional attributes on the script tag: data-position="bottom-right" (default bottom-left),
 * "top-left" or "top-right".
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !script.src) return;
  var origin = new URL(script.src).origin;
  var corner = (script.getAttribute("data-position") || "bottom-left").split("-");
  var EVERY_MS = 5 * 60 * 1000;
  var COLOURS = { minor: "#e8a33d", major: "#e8743b", critical: "#d13b3b", maintenance: "#3b82c4" };
  var popup = null;
  var dismissed = null;

  function style(element, rules) {
    Object.keys(rules).forEach(function (name) { element.style[name] = rules[name]; });
    return element;
  }

  function element(tag, text, rules) {
    var made = document.createElement(tag);
    if (text) made.textContent = text;
    return style(made, rules || {});
  }

  // What to tell: the newest unresolved incident, else maintenance in progress, else the page's status.
  function news(summary) {
    var incident = (summary.incidents || [])[0];
    if (incident) {
      var update = (incident.incident_updates || [])[0];
      return { id: "incident-" + incident.id + "-" + (update ? update.id : ""), kind: incident.impact,
               title: incident.name, body: update ? update.body : "", link: incident.shortlink };
    }
    var window_ = (summary.scheduled_maintenances || []).filter(function (m) { return m.status === "in_progress"; })[0];
    if (window_) {
      return { id: "maintenance-" + window_.id, kind: "maintenance", title: window_.name,
               body: "Maintenance is in progress.", link: window_.shortlink };
    }
    var status = summary.status || {};
    if (status.indicator && status.indicator !== "none") {
      return { id: "status-" + status.indicator, kind: status.indicator, title: status.description, body: "",
               link: summary.page && summary.page.url };
    }
    return null;
  }

  function show(told) {
    if (popup) popup.remove();
    popup = null;
    if (!told || told.id === dismissed) return;
    popup = element("div", "", {
      position: "fixed", zIndex: "2147483000", width: "320px", maxWidth: "calc(100vw - 40px)",
      background: "#fff", color: "#1f2328", borderRadius: "6px", boxShadow: "0 4px 16px rgba(0,0,0,.2)",
      borderTop: "4px solid " + (COLOURS[told.kind] || COLOURS.minor), padding: "14px 16px",
      font: "14px/1.4 -apple-system, BlinkMacSystemFont, 'Segoe UI', Helvetica, Arial, sans-serif"
    });
    popup.style[corner[0] === "top" ? "top" : "bottom"] = "20px";
    popup.style[corner[1] === "right" ? "right" : "left"] = "20px";
    popup.id = "statuspage-embed";
    popup.setAttribute("role", "status");
    var close = element("button", "\u00d7", {
      position: "absolute", top: "6px", right: "8px", border: "0", background: "none", fontSize: "18px",
      cursor: "pointer", color: "#57606a"
    });
    close.setAttribute("aria-label", "Dismiss");
    close.addEventListener("click", function () { dismissed = told.id; show(null); });
    var title = element("strong", told.title, { display: "block", marginRight: "20px" });
    title.className = "statuspage-embed-title";
    popup.appendChild(close);
    popup.appendChild(title);
    if (told.body) popup.appendChild(element("p", told.body, { margin: "6px 0 0" }));
    if (told.link && /^https?:\/\//.test(told.link)) {
      var link = element("a", "View latest updates", { display: "inline-block", marginTop: "8px", color: "#0969da" });
      link.href = told.link;
      link.target = "_blank";
      link.rel = "noopener";
      popup.appendChild(link);
    }
    document.body.appendChild(popup);
  }

  function refresh() {
    fetch(origin + "/api/v2/summary.json", { credentials: "omit" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (summary) { if (summary) show(news(summary)); })
      .catch(function () { /* the board is unreachable: leave the page as it is */ });
  }

  function start() {
    refresh();
    setInterval(refresh, EVERY_MS);
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
