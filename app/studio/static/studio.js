// The studio's own behaviour: the rule editor (line numbers, YAML highlighting, problem
// markers), and copy buttons. Everything else is htmx attributes in the pages.
(function () {
  "use strict";

  function escapeHtml(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  // One line of YAML as highlighted HTML: comments, keys, strings, numbers, list dashes.
  function highlightLine(line) {
    var hash = -1, quote = null;
    for (var i = 0; i < line.length; i++) {
      var ch = line[i];
      if (quote) { if (ch === quote) quote = null; continue; }
      if (ch === "'" || ch === '"') { quote = ch; continue; }
      if (ch === "#" && (i === 0 || /\s/.test(line[i - 1]))) { hash = i; break; }
    }
    var code = hash >= 0 ? line.slice(0, hash) : line;
    var comment = hash >= 0 ? line.slice(hash) : "";
    var html = "";
    var match = /^(\s*)(- )?([^\s:#'"][^:#]*?|"[^"]*"|'[^']*')(:)(\s|$)(.*)$/.exec(code);
    if (match) {
      html = escapeHtml(match[1]) + (match[2] ? '<span class="y-dash">- </span>' : "") +
        '<span class="y-key">' + escapeHtml(match[3]) + "</span>" + match[4] + match[5] +
        value(match[6]);
    } else {
      var dash = /^(\s*)(- )(.*)$/.exec(code);
      html = dash ? escapeHtml(dash[1]) + '<span class="y-dash">- </span>' + value(dash[3]) : value(code);
    }
    if (comment) html += '<span class="y-comment">' + escapeHtml(comment) + "</span>";
    return html;
  }

  function value(text) {
    if (/^\s*(["']).*\1\s*$/.test(text)) return '<span class="y-string">' + escapeHtml(text) + "</span>";
    if (/^\s*-?\d+(\.\d+)?\s*$/.test(text)) return '<span class="y-number">' + escapeHtml(text) + "</span>";
    if (/^\s*(true|false|null|~)\s*$/.test(text)) return '<span class="y-literal">' + escapeHtml(text) + "</span>";
    return escapeHtml(text);
  }

  function setUpEditor(root) {
    var area = root.querySelector("textarea");
    var gutter = root.querySelector(".gutter");
    var pre = root.querySelector(".highlight");
    var bad = {};

    function render() {
      var lines = area.value.split("\n");
      var numbers = [];
      for (var i = 1; i <= lines.length; i++) {
        numbers.push('<span class="ln' + (bad[i] ? " bad" : "") + '" data-ln="' + i + '">' + i + "</span>");
      }
      gutter.innerHTML = numbers.join("");
      pre.innerHTML = lines.map(function (line, index) {
        return '<span class="hl-line' + (bad[index + 1] ? " bad" : "") + '">' + highlightLine(line) + "</span>";
      }).join("\n") + "\n";
      sync();
    }

    function sync() {
      gutter.scrollTop = area.scrollTop;
      pre.scrollTop = area.scrollTop;
      pre.scrollLeft = area.scrollLeft;
    }

    function markProblems() {
      bad = {};
      document.querySelectorAll("#problems .problems:not(.other) li[data-line]").forEach(function (li) {
        var n = parseInt(li.getAttribute("data-line"), 10);
        if (n) bad[n] = true;
      });
      render();
    }

    function goTo(line) {
      var lines = area.value.split("\n");
      var offset = 0;
      for (var i = 0; i < line - 1 && i < lines.length; i++) offset += lines[i].length + 1;
      area.focus();
      area.setSelectionRange(offset, offset + (lines[line - 1] || "").length);
      var lineHeight = parseFloat(getComputedStyle(area).lineHeight) || 18;
      area.scrollTop = Math.max(0, (line - 4) * lineHeight);
      sync();
    }

    area.addEventListener("input", render);
    area.addEventListener("scroll", sync);
    area.addEventListener("keydown", function (event) {
      if (event.key === "Tab" && !event.shiftKey && !event.ctrlKey && !event.altKey) {
        // two spaces, as YAML wants (Escape first, then Tab, to leave the editor)
        if (area.dataset.escaped === "1") { area.dataset.escaped = ""; return; }
        event.preventDefault();
        var start = area.selectionStart;
        area.setRangeText("  ", start, area.selectionEnd, "end");
        render();
      } else if (event.key === "Escape") {
        area.dataset.escaped = "1";
      }
    });
    document.body.addEventListener("htmx:afterSwap", markProblems);
    document.body.addEventListener("htmx:oobAfterSwap", markProblems);
    document.addEventListener("click", function (event) {
      var target = event.target.closest && event.target.closest("[data-goto]");
      if (target) goTo(parseInt(target.getAttribute("data-goto"), 10));
    });
    render();
  }

  function copyButtons() {
    document.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest("[data-copy]");
      if (!button) return;
      var input = document.getElementById(button.getAttribute("data-copy"));
      if (!input) return;
      input.select();
      var done = function () {
        var status = button.closest(".calendar-link").querySelector("[data-copied]");
        if (status) status.textContent = "Copied.";
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, function () {});
      } else {
        try { document.execCommand("copy"); done(); } catch (e) { /* selected: copy by hand */ }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-editor]").forEach(setUpEditor);
    copyButtons();
  });
})();
