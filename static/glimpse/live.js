/* Polls a site's setup check (JSON) and writes its fields into [data-live="field"] elements,
   so "waiting for the first pageview" turns into "receiving pageviews" without a reload. */
(function () {
  "use strict";
  function start(panel) {
    var url = panel.getAttribute("data-live-url");
    var every = 1000 * (parseInt(panel.getAttribute("data-live-every"), 10) || 5);
    function show(data) {
      panel.querySelectorAll("[data-live]").forEach(function (element) {
        var value = data[element.getAttribute("data-live")];
        if (value !== undefined && value !== null) element.textContent = value;
      });
      panel.setAttribute("data-status", data.status);
      var dot = panel.querySelector("[data-live-dot]");
      if (dot) dot.classList.toggle("is-on", data.visitorsLast5Minutes > 0);
    }
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) { if (data) show(data); })
        .catch(function () {})
        .then(function () { setTimeout(poll, every); });
    }
    setTimeout(poll, every);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live-url]").forEach(start);
  });
})();
