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

// The incoming-call screen pop on the workspace: the agent's ringing or running calls,
// the matched customer, their recent tickets and open promises, the identity check, and
// one click to open a ticket from the call or attach it to an existing one.
(function () {
  var pop = document.getElementById("screen-pop");
  if (!pop) return;
  var L = pop.dataset;
  var csrfInput = document.querySelector("input[name=_csrf]");
  var csrf = csrfInput ? csrfInput.value : "";
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;
    return e;
  }
  function post(path, body) {
    return fetch(path, {method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf}, body: JSON.stringify(body)});
  }
  var shown = "";
  function render(calls) {
    var key = JSON.stringify(calls);
    if (key === shown) return;
    shown = key;
    pop.textContent = "";
    pop.hidden = !calls.length;
    calls.forEach(function (a) {
      var c = a.call, box = el("div", {"class": "pop-call", "data-call": c.id});
      var head = el("div", {"class": "pop-head"});
      head.appendChild(el("strong", null, (c.state === "offered" ? L.lRinging : L.lTalking) + " · " + L.lCaller + " "));
      head.appendChild(el("span", {"class": "masked pop-caller"}, c.caller || ""));
      box.appendChild(head);
      var who = el("div", {"class": "pop-customer"});
      if (a.customer) {
        who.appendChild(document.createTextNode(L.lCustomer + "："));
        who.appendChild(el("a", {href: "/customers/" + a.customer.id}, a.customer.name));
        who.appendChild(el("span", {"class": "tier tier-" + a.customer.tier}, " " + a.customer.tier));
      } else {
        who.appendChild(el("span", {"class": "muted"}, L.lUnknown));
      }
      box.appendChild(who);
      var check = el("div", {"class": "pop-identity"});
      if (c.identity_check) {
        check.textContent = L.lChecked + "：" + (c.identity_check.result === "passed" ? L.lPassed : L.lFailed);
      } else {
        check.appendChild(el("span", null, L.lVerify + " "));
        [["passed", L.lPassed], ["failed", L.lFailed]].forEach(function (r) {
          var b = el("button", {type: "button", "class": "small identity-" + r[0]}, r[1]);
          b.onclick = function () { post("/api/v1/calls/" + c.id + "/identity-check", {result: r[0], method: "account"}).then(poll); };
          check.appendChild(b);
        });
      }
      box.appendChild(check);
      var q = "call_id=" + encodeURIComponent(c.id) + (a.customer ? "&customer_id=" + encodeURIComponent(a.customer.id) : "");
      var actions = el("div", {"class": "pop-actions"});
      actions.appendChild(el("a", {"class": "btn primary", id: "pop-new-complaint", href: "/tickets/new?type=complaint&" + q}, L.lComplaint));
      actions.appendChild(el("a", {"class": "btn", href: "/tickets/new?type=consultation&" + q}, L.lConsultation));
      box.appendChild(actions);
      if (a.recent_tickets && a.recent_tickets.length) {
        box.appendChild(el("div", {"class": "muted small"}, L.lTickets));
        var ul = el("ul", {"class": "pop-tickets"});
        a.recent_tickets.forEach(function (t) {
          var li = el("li");
          li.appendChild(el("a", {href: "/tickets/" + t.id, "class": "masked"}, t.number));
          li.appendChild(document.createTextNode(" " + t.subject + " "));
          if (t.promise_due_at) li.appendChild(el("span", {"class": t.overdue ? "tag alert" : "tag"}, (t.overdue ? L.lOverdue : L.lPromise) + " " + t.promise_due_at.slice(0, 16).replace("T", " ")));
          if (c.ticket_id === t.id) li.appendChild(el("span", {"class": "tag"}, L.lAttached));
          else {
            var b = el("button", {type: "button", "class": "small"}, L.lAttach);
            b.onclick = function () { post("/api/v1/calls/" + c.id + "/ticket", {ticket_id: t.id}).then(poll); };
            li.appendChild(b);
          }
          ul.appendChild(li);
        });
        box.appendChild(ul);
      }
      pop.appendChild(box);
    });
  }
  function poll() {
    fetch("/api/v1/calls/active", {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(render).catch(function () {});
  }
  poll();
  setInterval(poll, 2000);
})();

// A filled script's copy button: the clipboard when the browser allows it, else the
// text is selected for Ctrl+C.
(function () {
  var button = document.getElementById("copy-script");
  var text = document.getElementById("script-text");
  var status = document.getElementById("copy-status");
  if (!button || !text) return;
  function selectForCopy() {
    text.focus();
    text.select();
    var copied = false;
    try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
    status.textContent = copied ? button.dataset.copied : button.dataset.select;
  }
  button.addEventListener("click", function () {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text.value).then(function () {
        status.textContent = button.dataset.copied;
      }, selectForCopy);
    } else {
      selectForCopy();
    }
  });
})();

// A board that keeps itself current (the wallboard): every `data-every` seconds the
// element's contents are fetched again from `data-refresh`. When a fetch fails the old
// numbers stay, marked as possibly out of date, until the next one succeeds.
(function () {
  document.querySelectorAll("[data-refresh]").forEach(function (board) {
    var every = Math.max(2, parseInt(board.dataset.every || "10", 10)) * 1000;
    function stale() {
      board.classList.add("stale");
      var note = board.querySelector(".wb-stale-note");
      if (note) note.textContent = board.dataset.stale || "";
    }
    function refresh() {
      fetch(board.dataset.refresh, {credentials: "same-origin"})
        .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.text(); })
        .then(function (html) { board.innerHTML = html; board.classList.remove("stale"); })
        .catch(stale);
    }
    setInterval(refresh, every);
  });
})();
