/* Charter: the site's search over file:// without a server or a download.
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
