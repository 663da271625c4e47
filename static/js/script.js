/* Glimpse tracking script: no cookies, nothing stored in the browser. Docs: docs/tracking.md */
(function (w, d, n, l) {
  var s = d.currentScript,
    api = s.getAttribute("data-api") || new URL(s.src).origin + "/api/event",
    h = w.history,
    push = h.pushState,
    last;
  function send() {
    if (w.glimpseIgnore || last == l.pathname) return;
    if (!s.hasAttribute("data-allow-local") && (/^(localhost|127\.|\[::1\]$)/.test(l.hostname) || l.protocol == "file:")) return;
    last = l.pathname;
    var body = JSON.stringify({
      domain: s.getAttribute("data-domain") || l.hostname,
      url: l.href,
      referrer: d.referrer || null,
      width: w.innerWidth || null
    });
    // A string body goes out as text/plain, which needs no CORS preflight.
    n.sendBeacon ? n.sendBeacon(api, body) : fetch(api, { method: "POST", body: body, keepalive: true });
  }
  h.pushState = function () {
    push.apply(h, arguments);
    send();
  };
  w.addEventListener("popstate", send);
  send();
})(window, document, navigator, location);
