/* Charter: filter and sort the use-case list in the browser (no server: works from disk).
 *
 * The page holds the table and, hidden until this script runs, a form of filters.
 * Filter values come from each row's data-* attributes (HTML-escaped by the build)
 * and are only compared as strings; sorting reads data-k-* numbers or the cell's text.
 * Nothing read from the page is ever parsed as HTML.
 */
(function () {
  "use strict";

  var NUMERIC = { stage: true, value: true, priority: true };

  function text(row, column) {
    var cell = row.cells[column];
    return cell ? cell.textContent.trim().toLowerCase() : "";
  }

  function key(row, name, column) {
    if (NUMERIC[name]) {
      var raw = row.getAttribute("data-k-" + name);
      return raw === null || raw === "" ? null : Number(raw);
    }
    return text(row, column);
  }

  function compare(a, b) {
    if (a === b) { return 0; }
    if (a === null) { return 1; }  // rows without a value last, whichever the direction
    if (b === null) { return -1; }
    return a < b ? -1 : 1;
  }

  function setUp(form) {
    var table = document.getElementById(form.getAttribute("data-ch-listing"));
    if (!table || !table.tBodies.length) { return; }
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var selects = Array.prototype.slice.call(form.querySelectorAll("select[data-ch-filter]"));
    var count = form.querySelector("[data-ch-count]");
    var state = { name: null, column: -1, dir: 1 };

    function apply() {
      var shown = 0;
      rows.forEach(function (row) {
        var keep = selects.every(function (s) {
          return s.value === "" || row.getAttribute("data-" + s.getAttribute("data-ch-filter")) === s.value;
        });
        row.hidden = !keep;
        if (keep) { shown += 1; }
      });
      if (count) { count.textContent = shown + " of " + rows.length + " shown"; }
    }

    function sort(name, column, header) {
      state.dir = state.name === name ? -state.dir : 1;
      state.name = name;
      state.column = column;
      var order = rows.map(function (row, i) { return { row: row, i: i, k: key(row, name, column) }; });
      order.sort(function (x, y) {
        var c = x.k === null || y.k === null ? compare(x.k, y.k) : state.dir * compare(x.k, y.k);
        return c || x.i - y.i;
      });
      order.forEach(function (o) { body.appendChild(o.row); });
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
        if (th.hasAttribute("data-ch-sort")) { th.setAttribute("aria-sort", "none"); }
      });
      header.setAttribute("aria-sort", state.dir > 0 ? "ascending" : "descending");
    }

    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, column) {
      var name = th.getAttribute("data-ch-sort");
      if (!name) { return; }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "ch-sort";
      button.title = "Sort by " + th.textContent.trim();
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      th.setAttribute("aria-sort", "none");
      button.addEventListener("click", function () { sort(name, column, th); });
    });
    selects.forEach(function (s) { s.addEventListener("change", apply); });
    form.hidden = false;
    apply();
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-ch-listing]"), setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
