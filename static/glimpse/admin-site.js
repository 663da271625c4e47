/* The site pages of the admin: a Copy button for the install snippet, and on the add page the
   owner's own time zone preselected (from the browser) when the list offers it. */
(function () {
  "use strict";
  /* The words come from the button's data attributes, in the admin's language. */
  function copied(button, ok) {
    var label = button.textContent;
    button.textContent = ok ? button.dataset.copied : button.dataset.pressCtrlC;
    setTimeout(function () { button.textContent = label; }, 2000);
  }
  function selectText(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }
  function fallback(source, button) {
    selectText(source);
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (error) { ok = false; }
    copied(button, ok);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("button[data-copy-from]").forEach(function (button) {
      button.addEventListener("click", function () {
        var source = document.getElementById(button.getAttribute("data-copy-from"));
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(source.textContent).then(
            function () { copied(button, true); },
            function () { fallback(source, button); }
          );
        } else {
          fallback(source, button);
        }
      });
    });
    var zone = document.querySelector("form#site_form select#id_timezone");
    if (zone && !zone.value) {
      try {
        var mine = Intl.DateTimeFormat().resolvedOptions().timeZone;
        if (mine && zone.querySelector('option[value="' + mine + '"]')) zone.value = mine;
      } catch (error) { /* no Intl: the owner chooses */ }
    }
  });
})();
