/* Glimpse share page: a tooltip for the chart (hover, tap, or the arrow keys once the chart has focus), a long
   period's daily table made from the figures the page embeds, and, in an iframe, the page's height for the host
   page. Up to a quarter the chart is complete without this script (each day also has an SVG <title>, and the
   numbers are in a table below it); for a year the reader without it gets the CSV file. The tooltip's words come
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

  /* A long period's daily table is made here from the figures the page embeds (a lean page; a reader without
     JavaScript is pointed to the CSV file instead). */
  function fillTable(card, rows) {
    var body = card.querySelector(".chart-data tbody");
    if (!body) {
      return;
    }
    var fragment = document.createDocumentFragment();
    rows.forEach(function (cells) {
      var line = document.createElement("tr");
      var heading = document.createElement("th");
      heading.scope = "row";
      heading.textContent = cells[0];
      line.append(heading);
      cells.slice(1).forEach(function (value) {
        var cell = document.createElement("td");
        cell.textContent = value;
        line.append(cell);
      });
      fragment.append(line);
    });
    body.replaceChildren(fragment);
    body.closest(".table-scroll").hidden = false;
  }

  function enhance(figure) {
    var plot = figure.querySelector(".chart-plot");
    var tooltip = figure.querySelector(".chart-tooltip");
    var days = Array.prototype.slice.call(figure.querySelectorAll(".day"));
    var card = figure.closest(".chart-card") || document;
    var embedded = card.querySelector("#chart-rows");
    var rows = embedded ? JSON.parse(embedded.textContent) : null;
    var count = rows ? rows.length : days.length;
    if (rows) {
      fillTable(card, rows);
    }
    if (!plot || !tooltip || !count) {
      return;
    }
    days.forEach(function (day) {
      var title = day.querySelector("title");
      if (title) {
        title.remove();
      }
    });
    var active = -1;
    var highlight = plot.querySelector(".bar-highlight");
    var previousHeading = card.querySelector(".chart-data thead th:nth-child(4)");

    /* A long period's chart is lean (one path of bars): its figures come from the embedded rows. */
    function figures(index) {
      if (!rows) {
        return days[index].dataset;
      }
      var cells = rows[index];
      return {
        label: cells[0],
        pageviews: cells[1],
        visitors: cells[2],
        previousLabel: previousHeading ? previousHeading.textContent : "",
        previousPageviews: cells[3] || ""
      };
    }

    function mark(index, on) {
      if (!rows) {
        days[index].classList.toggle("is-active", on);
      } else if (highlight) {
        highlight.setAttribute("x", (100 * index) / count + "%");
        highlight.setAttribute("width", 100 / count + "%");
        highlight.classList.toggle("is-active", on);
      }
    }

    function hide() {
      if (active >= 0) {
        mark(active, false);
      }
      active = -1;
      tooltip.hidden = true;
    }

    function show(index) {
      if (index === active) {
        return;
      }
      hide();
      active = index;
      mark(index, true);
      var shown = figures(index);
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
      var column = plotBox.width / count;
      var centre = plotBox.left + (index + 0.5) * column - figureBox.left;
      var left = centre + 12;
      if (left + tooltip.offsetWidth > figureBox.width) {
        left = centre - 12 - tooltip.offsetWidth;
      }
      tooltip.style.left = Math.max(0, left) + "px";
      tooltip.style.top = plotBox.top - figureBox.top + 8 + "px";
    }

    /* The column under the pointer, wherever in its height: a lean chart has no hit areas to find it by. */
    function indexAt(event) {
      var box = plot.getBoundingClientRect();
      var index = Math.floor(((event.clientX - box.left) / box.width) * count);
      return index >= 0 && index < count ? index : -1;
    }

    function showAt(event) {
      var index = indexAt(event);
      if (index >= 0) {
        show(index);
      }
    }

    plot.addEventListener("pointermove", showAt);
    plot.addEventListener("pointerdown", showAt);
    plot.addEventListener("pointerleave", hide);
    plot.addEventListener("blur", hide);
    plot.addEventListener("keydown", function (event) {
      var next = {
        ArrowRight: active + 1,
        ArrowLeft: active < 0 ? count - 1 : active - 1,
        Home: 0,
        End: count - 1
      }[event.key];
      if (next === undefined) {
        return;
      }
      event.preventDefault();
      show(Math.max(0, Math.min(count - 1, next)));
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
