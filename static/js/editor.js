// Live Markdown preview for the course editor. Without JavaScript the
// editor's "Voorbeeld tonen" button renders the same preview on the server;
// this script only adds a preview that follows the typing.
//
// Loaded with <script src defer> (CSP script-src 'self': no inline script).
(function () {
  "use strict";

  var form = document.querySelector("form[data-preview-url]");
  if (!form || !window.fetch || !window.URLSearchParams) {
    return;
  }
  var body = form.querySelector("textarea[name=body]");
  var out = document.getElementById("live-preview");
  if (!body || !out) {
    return;
  }
  var url = form.getAttribute("data-preview-url");
  var token = form.querySelector("input[name=_csrf]");
  var region = document.getElementById("live-preview-region");
  var timer = 0;
  var latest = 0; // number of the newest request; older answers are dropped

  function render() {
    var mine = ++latest;
    var data = new URLSearchParams();
    data.set("body", body.value);
    if (form.getAttribute("data-course")) {
      data.set("cursus", form.getAttribute("data-course")); // resolves bestanden/ links
    }
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
        "X-CSRF-Token": token ? token.value : ""
      },
      body: data.toString()
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("preview: " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        if (mine !== latest) {
          return; // a newer request is on its way
        }
        // innerHTML is safe here: the server renders the Markdown with the
        // lesson renderer and sanitises the result with bluemonday, exactly
        // as for the lesson pages (handleMarkdownPreview).
        out.innerHTML = html;
        if (region) {
          region.hidden = false;
        }
      })
      .catch(function () {
        // The live preview is an extra: on any failure the server-side
        // "Voorbeeld tonen" button still works.
      });
  }

  body.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(render, 400);
  });
})();
