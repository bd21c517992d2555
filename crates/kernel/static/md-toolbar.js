/*
 * Xã Số writing help: a small toolbar over a Markdown textarea, for officials who do not
 * know Markdown. Plain script, no dependency, loaded with `defer` (the Content-Security-Policy
 * forbids inline scripts).
 *
 * Any <textarea data-md-toolbar> gets, just before it, a row of buttons that wrap or prefix
 * the selected text:
 *   bold     **text**
 *   heading  "## " at the start of the line
 *   list     "- " at the start of each selected line
 *   link     [text](https://…), the address selected so it can be typed over
 * The buttons' words come from the textarea: data-md-bold, data-md-heading, data-md-list,
 * data-md-link (the server writes them in the reader's language). Without script nothing
 * changes: the hint under the field explains the Markdown, and the preview is a normal post.
 */
(function () {
  "use strict";

  var ICONS = { bold: "bold", heading: "heading", list: "list", link: "link" };

  function icon(name) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("class", "icon");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var use = document.createElementNS(ns, "use");
    use.setAttribute("href", "/static/icons.svg#" + name);
    svg.appendChild(use);
    return svg;
  }

  function changed(ta) {
    ta.dispatchEvent(new Event("input", { bubbles: true }));
    ta.focus();
  }

  function wrap(ta, before, after, placeholder) {
    var s = ta.selectionStart, e = ta.selectionEnd, v = ta.value;
    var text = v.slice(s, e) || placeholder;
    ta.value = v.slice(0, s) + before + text + after + v.slice(e);
    ta.setSelectionRange(s + before.length, s + before.length + text.length);
    changed(ta);
  }

  // Puts `prefix` at the start of every line the selection touches.
  function prefixLines(ta, prefix) {
    var v = ta.value, s = ta.selectionStart, e = ta.selectionEnd;
    var start = v.lastIndexOf("\n", s - 1) + 1;
    var end = v.indexOf("\n", e);
    if (end < 0) end = v.length;
    var lines = v.slice(start, end).split("\n").map(function (l) {
      return l.indexOf(prefix) === 0 ? l : prefix + l;
    });
    var block = lines.join("\n");
    ta.value = v.slice(0, start) + block + v.slice(end);
    ta.setSelectionRange(start, start + block.length);
    changed(ta);
  }

  function link(ta, placeholder) {
    var s = ta.selectionStart, e = ta.selectionEnd, v = ta.value;
    var text = v.slice(s, e) || placeholder;
    var url = "https://";
    var out = "[" + text + "](" + url + ")";
    ta.value = v.slice(0, s) + out + v.slice(e);
    var at = s + text.length + 3;
    ta.setSelectionRange(at, at + url.length);
    changed(ta);
  }

  function build(ta) {
    if (ta.dataset.mdReady) return;
    ta.dataset.mdReady = "1";
    var bar = document.createElement("div");
    bar.className = "md-toolbar";
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-controls", ta.id);
    if (ta.dataset.mdLabel) bar.setAttribute("aria-label", ta.dataset.mdLabel);
    var actions = {
      bold: function () { wrap(ta, "**", "**", ta.dataset.mdBold || "bold"); },
      heading: function () { prefixLines(ta, "## "); },
      list: function () { prefixLines(ta, "- "); },
      link: function () { link(ta, ta.dataset.mdLink || "link"); },
    };
    Object.keys(ICONS).forEach(function (k) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "button ghost";
      b.dataset.md = k;
      b.appendChild(icon(ICONS[k]));
      b.appendChild(document.createTextNode(" " + (ta.dataset["md" + k[0].toUpperCase() + k.slice(1)] || k)));
      b.addEventListener("click", actions[k]);
      bar.appendChild(b);
    });
    ta.parentNode.insertBefore(bar, ta);
  }

  function scan(root) {
    (root || document).querySelectorAll("textarea[data-md-toolbar]").forEach(build);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { scan(); });
  } else {
    scan();
  }
  document.addEventListener("htmx:load", function (e) { scan(e.target); });
})();
