// 绩效自评工作台: the little the pages need beyond htmx — line numbers and problem marks that scroll with
// the scheme editor, a click on a listed problem going to its line, a changed choice re-scoring at once.
(function () {
  "use strict";
  var LINE = 20; // px: the editor's line height (workbench.css --lh)

  function editor() { return document.getElementById("text"); }

  function syncScroll() {
    var text = editor();
    if (!text) return;
    ["gutter", "marks"].forEach(function (id) {
      var side = document.getElementById(id);
      if (side) side.scrollTop = text.scrollTop;
    });
  }

  function renumber() {
    var text = editor(), gutter = document.querySelector("#gutter .inner");
    if (!text || !gutter) return;
    var lines = text.value.split("\n").length, have = gutter.children.length;
    for (var n = have + 1; n <= lines; n++) {
      var div = document.createElement("div");
      div.textContent = String(n);
      gutter.appendChild(div);
    }
    for (var m = have; m > lines; m--) gutter.removeChild(gutter.lastChild);
    syncScroll();
  }

  function goToLine(line) {
    var text = editor();
    if (!text || !line) return;
    var lines = text.value.split("\n"), start = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) start += lines[i].length + 1;
    text.focus();
    text.setSelectionRange(start, start + (lines[line - 1] || "").length);
    text.scrollTop = Math.max(0, (line - 5) * LINE);
    syncScroll();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var text = editor();
    if (text) {
      text.addEventListener("scroll", syncScroll);
      text.addEventListener("input", renumber);
      text.addEventListener("keydown", function (event) { // Tab puts two spaces, as YAML wants, not focus elsewhere
        if (event.key === "Tab" && !event.shiftKey) {
          event.preventDefault();
          var at = text.selectionStart;
          text.setRangeText("  ", at, text.selectionEnd, "end");
          text.dispatchEvent(new Event("input", { bubbles: true }));
        }
      });
    }
    document.querySelectorAll("#choose select").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  });

  document.addEventListener("click", function (event) {
    var item = event.target.closest && event.target.closest("ul.problems li[data-line]");
    if (item && item.getAttribute("data-line") && editor()) goToLine(parseInt(item.getAttribute("data-line"), 10));
  });

  document.addEventListener("htmx:afterSettle", syncScroll);
  document.addEventListener("htmx:oobAfterSwap", syncScroll);
})();
