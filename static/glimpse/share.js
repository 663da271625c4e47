/* Glimpse share page: a tooltip for the chart (hover, tap, or the arrow keys once the chart has focus), and, in an
   iframe, the page's height for the host page. The chart is complete without this script (each day also has an SVG
   <title>, and the numbers are in a table below it); this only makes reading it nicer. The tooltip's words come
   from the figure's data attributes, in the page's language. */
(function () {
  "use strict";

  function row(kind, label, value) {
    var line = document.createElement("span");
    line.className = "tip-row";
    var key = document.createElement("span");
    key.className = "tip-key " + kind;
    var text = document.createElement("span");
    text.textContent = label;
    var number = document.createElement("b");
    number.textContent = value;
    line.append(key, text, number);
    return line;
  }

  function enhance(figure) {
    var plot = figure.querySelector(".chart-plot");
    var tooltip = figure.querySelector(".chart-tooltip");
    var days = Array.prototype.slice.call(figure.querySelectorAll(".day"));
    if (!plot || !tooltip || !days.length) {
      return;
    }
    days.forEach(function (day) {
      var title = day.querySelector("title");
      if (title) {
        title.remove();
      }
    });
    var active = null;
    var card = figure.closest(".chart-card") || document;
    var rows = Array.prototype.slice.call(card.querySelectorAll(".chart-data tbody tr"));
    var previousHeading = card.querySelector(".chart-data thead th:nth-child(4)");

    /* A long period's chart is lean (bars only): its figures come from the table row of the same day. */
    function figures(day) {
      if (day.dataset.label) {
        return day.dataset;
      }
      var cells = rows[days.indexOf(day)].children;
      return {
        label: cells[0].textContent,
        pageviews: cells[1].textContent,
        visitors: cells[2].textContent,
        previousLabel: previousHeading ? previousHeading.textContent : "",
        previousPageviews: cells[3] ? cells[3].textContent : ""
      };
    }

    function hide() {
      if (active) {
        active.classList.remove("is-active");
      }
      active = null;
      tooltip.hidden = true;
    }

    function show(day) {
      if (day === active) {
        return;
      }
      hide();
      active = day;
      day.classList.add("is-active");
      var shown = figures(day);
      var heading = document.createElement("strong");
      heading.textContent = shown.label;
      tooltip.replaceChildren(
        heading,
        row("pageviews", figure.dataset.textPageviews, shown.pageviews),
        row("visitors", figure.dataset.textVisitors, shown.visitors)
      );
      if (shown.previousPageviews) {
        tooltip.append(row("previous", shown.previousLabel, shown.previousPageviews));
      }
      tooltip.hidden = false;
      var figureBox = figure.getBoundingClientRect();
      var plotBox = plot.getBoundingClientRect();
      var column = plotBox.width / days.length;
      var centre = plotBox.left + (days.indexOf(day) + 0.5) * column - figureBox.left;
      var left = centre + 12;
      if (left + tooltip.offsetWidth > figureBox.width) {
        left = centre - 12 - tooltip.offsetWidth;
      }
      tooltip.style.left = Math.max(0, left) + "px";
      tooltip.style.top = plotBox.top - figureBox.top + 8 + "px";
    }

    /* The column under the pointer, wherever in its height: a lean chart has no hit areas to find it by. */
    function dayAt(event) {
      var box = plot.getBoundingClientRect();
      var index = Math.floor(((event.clientX - box.left) / box.width) * days.length);
      return index >= 0 && index < days.length ? days[index] : null;
    }

    plot.addEventListener("pointermove", function (event) {
      var day = dayAt(event);
      if (day) {
        show(day);
      }
    });
    plot.addEventListener("pointerdown", function (event) {
      var day = dayAt(event);
      if (day) {
        show(day);
      }
    });
    plot.addEventListener("pointerleave", hide);
    plot.addEventListener("blur", hide);
    plot.addEventListener("keydown", function (event) {
      var index = active ? days.indexOf(active) : -1;
      var next = {
        ArrowRight: index + 1,
        ArrowLeft: index < 0 ? days.length - 1 : index - 1,
        Home: 0,
        End: days.length - 1
      }[event.key];
      if (next === undefined) {
        return;
      }
      event.preventDefault();
      show(days[Math.max(0, Math.min(days.length - 1, next))]);
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        hide();
      }
    });
  }

  /* Embedded: tell the host page (its /js/embed.js) how tall the content is, so the iframe never scrolls.
     The height goes only to the origins this link may be framed by (data-embed-parents, "*" when any may). */
  function postHeight() {
    var parents = document.body.getAttribute("data-embed-parents");
    if (!parents || window.parent === window) {
      return;
    }
    var targets = ["*"];
    if (parents !== "*") {
      try {
        targets = JSON.parse(parents);
      } catch (error) {
        return;
      }
    } else if (window.location.ancestorOrigins && window.location.ancestorOrigins.length) {
      targets = [window.location.ancestorOrigins[0]];
    }
    var last = -1;
    function send() {
      var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
      if (height === last) {
        return;
      }
      last = height;
      targets.forEach(function (origin) {
        try {
          window.parent.postMessage({ type: "glimpse:height", height: height }, origin);
        } catch (error) {
          /* not an origin: nothing to send to */
        }
      });
    }
    if (window.ResizeObserver) {
      new ResizeObserver(send).observe(document.documentElement);
    }
    window.addEventListener("load", send);
    send();
  }

  document.querySelectorAll("[data-chart]").forEach(enhance);
  postHeight();
})();
