// Light progressive enhancement: keyboard shortcuts. Pages work without it.
(function () {
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable)) return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "/") {
      var q = document.querySelector("input[name=q]");
      if (q) { e.preventDefault(); q.focus(); q.select(); }
    } else if (e.key === "n") {
      var n = document.querySelector("[data-shortcut=new]");
      if (n) { e.preventDefault(); n.click(); }
    } else if (e.key === "j" || e.key === "k") {
      var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-href]"));
      if (!rows.length) return;
      var i = rows.findIndex(function (r) { return r.classList.contains("sel"); });
      i = e.key === "j" ? Math.min(rows.length - 1, i + 1) : Math.max(0, i - 1);
      rows.forEach(function (r) { r.classList.remove("sel"); r.style.background = ""; });
      rows[i].classList.add("sel"); rows[i].style.background = "#eef3fb"; rows[i].scrollIntoView({block: "nearest"});
    } else if (e.key === "Enter") {
      var s = document.querySelector("tr.sel[data-href]");
      if (s) window.location = s.getAttribute("data-href");
    }
  });
})();
