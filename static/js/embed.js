/* Glimpse embed host script: sizes share-page iframes to their content, so they never scroll inside.
   Put it next to the iframe: <script async src="https://glimpse.example/js/embed.js"></script>
   It only listens: the share page posts its height, and messages from any other origin are ignored. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) {
    return;
  }
  var glimpseOrigin = new URL(script.src, window.location.href).origin;
  var MAX_HEIGHT = 100000;

  window.addEventListener("message", function (event) {
    if (event.origin !== glimpseOrigin) {
      return;
    }
    var data = event.data;
    if (!data || data.type !== "glimpse:height" || typeof data.height !== "number" || !isFinite(data.height)) {
      return;
    }
    var height = Math.max(0, Math.min(Math.ceil(data.height), MAX_HEIGHT));
    var frames = document.getElementsByTagName("iframe");
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === event.source) {
        frames[i].style.height = height + "px";
        frames[i].setAttribute("scrolling", "no");
      }
    }
  });
})();
