// Light progressive enhancement: keyboard shortcuts and the unread badge. Pages work
// without it.
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
    } else {
      // Any element can claim a key: fields get focus, links and buttons are pressed.
      var el = document.querySelector('[data-key="' + e.key + '"]');
      if (!el) return;
      e.preventDefault();
      if (el.tagName === "TEXTAREA" || el.tagName === "INPUT" || el.tagName === "SELECT") { el.focus(); el.scrollIntoView({block: "center"}); }
      else el.click();
    }
  });
  // The unread badge: one cheap request a minute.
  var badge = document.getElementById("unread");
  function poll() {
    fetch("/api/v1/notifications", {credentials: "same-origin"}).then(function (r) { return r.ok ? r.json() : null; }).then(function (j) {
      if (!j) return;
      badge.textContent = j.unread; badge.hidden = !j.unread;
    }).catch(function () {});
  }
  if (badge) { poll(); setInterval(poll, 60000); }
})();
