/* Glimpse tracking script: no cookies, nothing stored in the browser. Docs: docs/tracking.md */
(function (w, d, n, l) {
  var s = d.currentScript,
    api = s.getAttribute("data-api") || new URL(s.src).origin + "/api/event",
    h = w.history,
    push = h.pushState,
    last;
  function skip(why) {
    w.console && console.info("Glimpse: not sent: " + why);
  }
  function send() {
    if (last == l.pathname) return;
    last = l.pathname;
    if (w.glimpseIgnore) return skip("window.glimpseIgnore is set");
    if (!s.hasAttribute("data-allow-local") && (/^(localhost|127\.|\[::1\]$)/.test(l.hostname) || l.protocol == "file:"))
      return skip("local page; add data-allow-local to the tag to test locally");
    // As the server's HEADLESS (analytics/user_agents.py).
    if (/headless|phantomjs|slimerjs|puppeteer|playwright|selenium|webdriver/i.test(n.userAgent))
      return skip("headless browsers count as bots");
    var body = JSON.stringify({
      domain: s.getAttribute("data-domain") || l.hostname,
      url: l.href,
      referrer: d.referrer || null,
      width: w.innerWidth || null,
      id: w.crypto && crypto.randomUUID && crypto.randomUUID()
    });
    post(body, 0);
  }
  function post(b, t) {
    function retry(r) {
      t < 5 && setTimeout(post, 1e3 * Math.max((r.headers && r.headers.get("Retry-After")) | 0, 1 << t), b, t + 1);
    }
    if (!w.fetch) return n.sendBeacon(api, b);
    fetch(api, { method: "POST", body: b, keepalive: true }).then(function (r) {
      (r.status == 503 || r.status == 429) && retry(r);
    }, retry);
  }
  h.pushState = function () {
    push.apply(h, arguments);
    send();
  };
  w.addEventListener("popstate", send);
  send();
})(window, document, navigator, location);
