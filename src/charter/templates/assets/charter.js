/* Charter: the governance site's own script (one file, loaded in every page's head, before the theme's).
 * Three independent parts: search from disk, one search index for disk and http, and the use-case
 * list's filters and sorting. */

/* 1. the site's search over file:// without a server or a download.
 *
 * Browsers refuse to start a Web Worker from a file:// page, and the theme runs its
 * search in one. Opened from disk, this replaces Worker with a hidden same-origin
 * frame (srcdoc) that loads the worker's script as an ordinary <script>, and passes
 * messages both ways. The theme loads the search index itself (search_index.js) when
 * it sees file://. Over http(s) nothing is changed.
 */
(function () {
  "use strict";
  if (location.protocol !== "file:" || typeof window.Worker !== "function") {
    return;
  }

  function FileWorker(scriptUrl) {
    var url = new URL(String(scriptUrl), location.href).href;
    var target = document.createDocumentFragment();
    var queue = [];
    var frame = document.createElement("iframe");
    var inner = null;
    var self = this;

    this.addEventListener = target.addEventListener.bind(target);
    this.removeEventListener = target.removeEventListener.bind(target);
    this.onmessage = null;
    this.onerror = null;

    function emit(type, data) {
      var event = type === "message" ? new MessageEvent("message", { data: data }) : new Event(type);
      var handler = type === "message" ? self.onmessage : self.onerror;
      if (typeof handler === "function") {
        handler.call(self, event);
      }
      target.dispatchEvent(event);
    }

    function deliver(data) {
      inner.dispatchEvent(new inner.MessageEvent("message", { data: data }));
    }

    function load(win, src) {
      return new Promise(function (resolve, reject) {
        var script = win.document.createElement("script");
        script.src = new URL(src, url).href;
        script.onload = function () { resolve(); };
        script.onerror = function () { reject(new Error("cannot load " + src)); };
        win.document.head.appendChild(script);
      });
    }

    this.postMessage = function (data) {
      if (inner === null) {
        queue.push(data);
      } else {
        deliver(data);
      }
    };
    this.terminate = function () {
      frame.remove();
      inner = null;
    };

    frame.setAttribute("aria-hidden", "true");
    frame.tabIndex = -1;
    frame.style.display = "none";
    frame.srcdoc = "<!doctype html><html><head><meta charset=\"utf-8\"></head><body></body></html>";
    frame.addEventListener("load", function () {
      var win = frame.contentWindow;
      // What the worker's script calls: postMessage answers the page, importScripts loads in order.
      win.postMessage = function (data) { emit("message", data); };
      win.importScripts = function () {
        var names = Array.prototype.slice.call(arguments);
        return names.reduce(function (done, name) {
          return done.then(function () { return load(win, name); });
        }, Promise.resolve());
      };
      load(win, url).then(function () {
        inner = win;
        queue.splice(0).forEach(deliver);
      }, function () { emit("error"); });
    }, { once: true });
    (document.body || document.documentElement).appendChild(frame);
  }

  window.Worker = FileWorker;
})();

/* 1b. one search index, for disk and for http.
 *
 * The site holds the index once, as the script search/search_index.js ("var __index = " and the
 * index's JSON), which the theme loads as a script from disk. Over http the theme requests
 * search/search_index.json instead: this sends that request to the script and gives the theme
 * the JSON part of the answer (the bytes after the fixed prefix). Nothing else is changed.
 */
(function () {
  "use strict";
  if (location.protocol === "file:" || typeof window.XMLHttpRequest !== "function" ||
      typeof window.Blob !== "function") {
    return;
  }
  var PREFIX = "var __index = ".length;  // ASCII: characters are bytes
  var INDEX = /\/search\/search_index\.json$/;
  var proto = window.XMLHttpRequest.prototype;
  var open = proto.open;
  var response = Object.getOwnPropertyDescriptor(proto, "response");
  if (!response || typeof response.get !== "function") {
    return;
  }

  proto.open = function (method, url) {
    var args = Array.prototype.slice.call(arguments);
    var target = new URL(String(url), location.href);
    if (INDEX.test(target.pathname)) {
      target.pathname = target.pathname.replace(/\.json$/, ".js");
      args[1] = target.href;
      Object.defineProperty(this, "response", {
        configurable: true,
        get: function () {
          var body = response.get.call(this);
          return body instanceof window.Blob ? body.slice(PREFIX, body.size, "application/json") : body;
        }
      });
    }
    return open.apply(this, args);
  };
})();

/* 2. filter and sort the use-case list in the browser (no server: works from disk).
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
