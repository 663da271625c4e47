/* The admin's embed options: the theme and background chosen for an embedded dashboard go into the iframe
   snippet (as the share page's `theme` and `background` parameters) and into the live preview beside it. */
(function () {
  "use strict";
  function start(options) {
    var base = options.dataset.embedUrl;
    var field = document.getElementById(options.dataset.embedFor);
    var preview = document.getElementById(options.dataset.embedPreview);
    var snippet = field.value;
    function update() {
      var url = base;
      options.querySelectorAll("[data-embed-param]").forEach(function (select) {
        var value = select.value;
        if (value && value !== "auto") {
          url += "&" + select.dataset.embedParam + "=" + encodeURIComponent(value);
        }
      });
      field.value = snippet.split(base).join(url);
      if (preview) {
        preview.src = options.dataset.previewUrl + url.slice(base.length);
      }
    }
    options.querySelectorAll("select").forEach(function (select) {
      select.addEventListener("change", update);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".glimpse-embed-options").forEach(start);
  });
})();
