/* The agent's chat console: several chats at once over one WebSocket (/chat/agent/ws).
 * The server sends the desk (the chats held); the console asks for each chat's messages
 * after the last one it has, so a reconnect resumes without loss. Replies, typing,
 * transfer, customer link, conversion to a ticket and knowledge search go through the
 * JSON API where they are not WebSocket frames. A visitor's message brings up to three
 * knowledge articles matching it; the scripts (话术) of the open chat's topic sit beside
 * the reply box and insert their text on a click. */
(function () {
  "use strict";
  var root = document.getElementById("chat-console");
  if (!root) { return; }
  var csrfInput = document.querySelector("input[name=_csrf]");
  var csrf = csrfInput ? csrfInput.value : "";
  function S(k) { return root.getAttribute("data-s-" + k) || ""; }
  function $(id) { return document.getElementById(id); }
  var chats = {};   // id → {conv, seq, log, item, unread, typing, suggest}
  var selected = null;
  var ws = null;

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in (attrs || {})) { e.setAttribute(k, attrs[k]); }
    if (text != null) { e.textContent = text; }
    return e;
  }

  function api(method, path, body) {
    return fetch("/api/v1" + path, { method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: body ? JSON.stringify(body) : undefined }).then(function (r) {
      if (r.status === 204) { return {}; }
      return r.json().then(function (j) {
        if (!r.ok) { throw new Error((j.error && j.error.message) || String(r.status)); }
        return j;
      });
    });
  }

  function status(text) {
    var s = $("chat-status");
    s.textContent = text || "";
    s.hidden = !text;
  }

  function textOf(html) {
    return new DOMParser().parseFromString(html, "text/html").body.textContent || "";
  }

  function newId() { return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 10); }

  function send(frame) {
    if (ws && ws.readyState === 1) { ws.send(JSON.stringify(frame)); return true; }
    return false;
  }

  function renderItem(c) {
    var label = (c.conv.visitor_name || S("visitor")) + " · " + c.conv.topic;
    c.item.querySelector(".chat-name").textContent = label;
    var badge = c.item.querySelector(".chat-unread");
    badge.textContent = c.unread ? String(c.unread) : "";
    badge.hidden = !c.unread;
    c.item.querySelector(".chat-item-typing").hidden = !c.typing;
    c.item.classList.toggle("on", selected === c.conv.id);
  }

  function addChat(conv) {
    var c = chats[conv.id];
    if (c) { c.conv = conv; renderItem(c); if (selected === conv.id) { header(c); } return; }
    c = { conv: conv, seq: 0, unread: 0, typing: false, log: el("div", { "class": "chat-conv-log", "data-id": conv.id }) };
    c.item = el("li", { "class": "chat-item", "data-id": conv.id });
    c.item.appendChild(el("span", { "class": "chat-name" }));
    c.item.appendChild(el("span", { "class": "badge chat-unread" }));
    c.item.appendChild(el("span", { "class": "muted small chat-item-typing" }, "…"));
    c.item.addEventListener("click", function () { select(conv.id); });
    chats[conv.id] = c;
    $("chat-list").appendChild(c.item);
    renderItem(c);
    send({ type: "sync", conversation_id: conv.id, after: 0 });
    if (!selected) { select(conv.id); }
  }

  function dropChat(id) {
    var c = chats[id];
    if (!c) { return; }
    c.item.remove();
    c.log.remove();
    delete chats[id];
    if (selected === id) {
      selected = null;
      $("chat-pane").hidden = true;
      var next = Object.keys(chats)[0];
      if (next) { select(next); }
    }
  }

  function header(c) {
    $("chat-title").textContent = c.conv.visitor_name || S("visitor");
    $("chat-topic").textContent = c.conv.topic;
    $("chat-customer").textContent = c.conv.customer_name ? S("linked") + " " + c.conv.customer_name : "";
    var tk = $("chat-ticket");
    tk.textContent = "";
    if (c.conv.ticket_id) {
      tk.appendChild(el("a", { href: "/tickets/" + c.conv.ticket_id, id: "chat-ticket-link" }, c.conv.ticket_number || c.conv.ticket_id));
    }
    $("chat-typing").textContent = c.typing ? S("typing") : "";
  }

  function select(id) {
    var c = chats[id];
    if (!c) { return; }
    selected = id;
    var log = $("chat-log");
    while (log.firstChild) { log.removeChild(log.firstChild); }
    log.appendChild(c.log);
    c.unread = 0;
    $("chat-pane").hidden = false;
    header(c);
    showScripts(c);
    showSuggestions(c);
    for (var k in chats) { renderItem(chats[k]); }
    log.scrollTop = log.scrollHeight;
    $("chat-input").focus();
  }

  function onMessage(f) {
    var c = chats[f.conversation_id];
    if (!c || f.seq <= c.seq) { return; }
    c.seq = f.seq;
    var pending = f.client_id ? c.log.querySelector('[data-client="' + f.client_id + '"]') : null;
    if (pending) { pending.classList.remove("pending"); pending.setAttribute("data-seq", String(f.seq)); return; }
    var b = el("div", { "class": "chat-msg " + f.sender, "data-seq": String(f.seq) });
    b.appendChild(el("small", { "class": "muted" }, (f.sender === "agent" ? (f.author || "") : (c.conv.visitor_name || S("visitor"))) + " " + f.at.slice(11, 16)));
    b.appendChild(el("div", {}, f.body));
    c.log.appendChild(b);
    if (f.sender === "visitor") { c.typing = false; suggestFor(c, f.body); }
    if (selected !== c.conv.id && f.sender === "visitor") { c.unread += 1; }
    renderItem(c);
    if (selected === c.conv.id) { header(c); $("chat-log").scrollTop = $("chat-log").scrollHeight; }
  }

  function insertText(text) {
    var i = $("chat-input");
    i.value = (i.value ? i.value + "\n" : "") + text;
    i.focus();
  }

  // The scripts for every topic and those of the open chat's topic.
  function showScripts(c) {
    Array.prototype.forEach.call(document.querySelectorAll(".chat-script"), function (b) {
      var topic = b.getAttribute("data-topic");
      b.hidden = !!topic && topic !== c.conv.topic_id;
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll(".chat-script"), function (b) {
    b.addEventListener("click", function () { insertText(b.getAttribute("data-body") || ""); });
  });

  function articleItem(it) {
    // Parsed in an inert document: only the text is used.
    var title = textOf(it.title_html);
    var snippet = textOf(it.snippet_html);
    var li = el("li", {});
    li.appendChild(el("a", { href: it.url, target: "_blank", rel: "noopener" }, title));
    var ins = el("button", { type: "button", "class": "chat-kb-insert" }, S("insert"));
    ins.addEventListener("click", function () { insertText(snippet); });
    li.appendChild(document.createTextNode(" "));
    li.appendChild(ins);
    return li;
  }

  function showSuggestions(c) {
    var out = $("chat-kb-suggestions");
    out.textContent = "";
    (c.suggest || []).forEach(function (it) { out.appendChild(articleItem(it)); });
  }

  // Up to three articles matching the visitor's latest message (the same search as the
  // box above); a burst of messages (a resync) asks once, for the last.
  function suggestFor(c, text) {
    clearTimeout(c.suggestTimer);
    c.suggestTimer = setTimeout(function () {
      var q = text.slice(0, 200);
      api("GET", "/search?kind=article&limit=3&q=" + encodeURIComponent(q)).then(function (r) {
        c.suggest = (r.items || []).slice(0, 3);
        if (selected === c.conv.id) { showSuggestions(c); }
      }).catch(function () { /* suggestions are a help, not a must */ });
    }, 300);
  }

  function onDesk(d) {
    $("chat-available").checked = d.available;
    $("chat-capacity").textContent = String(d.capacity);
    var ids = {};
    d.chats.forEach(function (conv) { ids[conv.id] = true; addChat(conv); });
    Object.keys(chats).forEach(function (id) { if (!ids[id]) { dropChat(id); } });
    $("chat-empty").hidden = d.chats.length > 0;
  }

  function onFrame(f) {
    if (f.type === "desk") { onDesk(f); }
    else if (f.type === "message") { onMessage(f); }
    else if (f.type === "typing") {
      var c = chats[f.conversation_id];
      if (c) { c.typing = f.on; renderItem(c); if (selected === c.conv.id) { header(c); } }
    } else if (f.type === "error") { status(f.message || f.code); }
  }

  function connect() {
    ws = new WebSocket(location.origin.replace(/^http/, "ws") + "/chat/agent/ws");
    ws.onopen = function () {
      $("chat-conn").textContent = "";
      // Resume every chat after the last message this page has.
      Object.keys(chats).forEach(function (id) { send({ type: "sync", conversation_id: id, after: chats[id].seq }); });
    };
    ws.onmessage = function (ev) { var f; try { f = JSON.parse(ev.data); } catch (e) { return; } onFrame(f); };
    ws.onclose = function () { ws = null; $("chat-conn").textContent = S("disconnected"); setTimeout(connect, 1000); };
  }

  var typingOn = false, typingTimer = null;
  function stopTyping() {
    clearTimeout(typingTimer);
    if (typingOn && selected) { typingOn = false; send({ type: "typing", conversation_id: selected, on: false }); }
  }

  $("chat-input").addEventListener("input", function () {
    if (!selected) { return; }
    if (!typingOn) { typingOn = true; send({ type: "typing", conversation_id: selected, on: true }); }
    clearTimeout(typingTimer);
    typingTimer = setTimeout(stopTyping, 3000);
  });
  $("chat-input").addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); $("chat-reply").requestSubmit(); }
  });

  $("chat-reply").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var c = chats[selected];
    var text = $("chat-input").value.trim();
    if (!c || !text) { return; }
    $("chat-input").value = "";
    stopTyping();
    var cid = newId();
    var b = el("div", { "class": "chat-msg agent pending", "data-client": cid });
    b.appendChild(el("div", {}, text));
    c.log.appendChild(b);
    $("chat-log").scrollTop = $("chat-log").scrollHeight;
    if (!send({ type: "send", conversation_id: c.conv.id, body: text, client_id: cid })) {
      api("POST", "/chat/conversations/" + c.conv.id + "/messages", { body: text, client_id: cid }).catch(function (e) { status(e.message); });
    }
  });

  $("chat-available").addEventListener("change", function () {
    api("PUT", "/chat/desk/availability", { available: $("chat-available").checked }).catch(function (e) { status(e.message); });
  });

  $("chat-transfer").addEventListener("click", function () {
    var v = $("chat-transfer-to").value;
    if (!selected || !v) { return; }
    var parts = v.split(":");
    var body = parts[0] === "agent" ? { agent_id: parts[1] } : { topic_id: parts[1] };
    var id = selected;
    api("POST", "/chat/conversations/" + id + "/transfer", body).then(function () { status(S("transferred")); dropChat(id); }).catch(function (e) { status(e.message); });
  });

  $("chat-convert").addEventListener("click", function () {
    if (!selected) { return; }
    var c = chats[selected];
    api("POST", "/chat/conversations/" + c.conv.id + "/ticket", { type: $("chat-ticket-type").value }).then(function (r) {
      c.conv.ticket_id = r.ticket_id; c.conv.ticket_number = r.number;
      status(S("converted") + " " + r.number);
      header(c);
    }).catch(function (e) { status(e.message); });
  });

  $("chat-close").addEventListener("click", function () {
    if (!selected) { return; }
    var id = selected;
    api("POST", "/chat/conversations/" + id + "/close").then(function () { status(S("ended")); dropChat(id); }).catch(function (e) { status(e.message); });
  });

  $("chat-customer-search").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var q = $("chat-customer-q").value.trim();
    var out = $("chat-customer-results");
    out.textContent = "";
    if (!q) { return; }
    api("GET", "/customers?limit=10&q=" + encodeURIComponent(q)).then(function (r) {
      (r.items || []).forEach(function (cu) {
        var li = el("li", {});
        var btn = el("button", { type: "button", "class": "chat-link-customer", "data-id": cu.id }, cu.name);
        btn.addEventListener("click", function () {
          var c = chats[selected];
          if (!c) { return; }
          api("POST", "/chat/conversations/" + c.conv.id + "/customer", { customer_id: cu.id }).then(function () {
            c.conv.customer_id = cu.id; c.conv.customer_name = cu.name; header(c);
          }).catch(function (e) { status(e.message); });
        });
        li.appendChild(btn);
        out.appendChild(li);
      });
    }).catch(function (e) { status(e.message); });
  });

  $("chat-kb-search").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var q = $("chat-kb-q").value.trim();
    var out = $("chat-kb-results");
    out.textContent = "";
    if (!q) { return; }
    api("GET", "/search?kind=article&q=" + encodeURIComponent(q)).then(function (r) {
      (r.items || []).slice(0, 8).forEach(function (it) { out.appendChild(articleItem(it)); });
    }).catch(function (e) { status(e.message); });
  });

  connect();
})();
