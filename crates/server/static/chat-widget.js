/* kefu web chat widget (在线客服). Embed with one tag:
 *   <script src="https://kefu.example/chat/widget.js" data-topic="general" async></script>
 * Optional: data-lang="en" (Chinese by default). Plain JavaScript, no build step.
 * The chat token lives in sessionStorage and travels in a header or the WebSocket's
 * first frame, never in a URL. WebSocket first; long-polling where it does not connect.
 * The token is renewed every 30 minutes, on every reconnect and when the tab comes back
 * into view; a socket whose token expired anyway is closed by the server (chat_token).
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__kefuChat) { return; }
  window.__kefuChat = true;
  var base = script.src.replace(/\/chat\/widget\.js.*$/, "");
  var topic = script.getAttribute("data-topic") || "general";
  var lang = script.getAttribute("data-lang") || "zh-CN";
  var api = base + "/api/v1/chat/visitor";
  var storeKey = "kefu-chat:" + base + ":" + topic;
  var S = {};
  var st = { token: null, seq: 0, ws: null, wsFails: 0, polling: false, state: null,
             pending: {}, typingTimer: null, typingOn: false, closed: false };

  function t(key, args) {
    var s = S[key] || key;
    for (var k in (args || {})) { s = s.split("{" + k + "}").join(args[k]); }
    return s;
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in (attrs || {})) { e.setAttribute(k, attrs[k]); }
    if (text != null) { e.textContent = text; }
    return e;
  }

  function request(method, path, body, token) {
    var headers = { "Content-Type": "application/json" };
    if (token) { headers["X-Chat-Token"] = token; }
    return fetch(api + path, { method: method, headers: headers,
      body: body ? JSON.stringify(body) : undefined }).then(function (r) {
      if (r.status === 204) { return {}; }
      return r.json().then(function (j) {
        if (!r.ok) { var e = new Error((j.error && j.error.message) || r.status); e.code = j.error && j.error.code; e.status = r.status; throw e; }
        return j;
      });
    });
  }

  var css = "" +
    ".kefu-chat-button{position:fixed;right:20px;bottom:20px;z-index:2147483000;background:#1664ff;color:#fff;border:0;border-radius:24px;padding:12px 20px;font-size:15px;box-shadow:0 2px 10px rgba(0,0,0,.25);cursor:pointer}" +
    ".kefu-chat-panel{position:fixed;right:20px;bottom:20px;z-index:2147483001;width:360px;height:520px;max-height:calc(100vh - 40px);background:#fff;border-radius:8px;box-shadow:0 4px 24px rgba(0,0,0,.3);display:flex;flex-direction:column;font:14px/1.5 -apple-system,'PingFang SC','Microsoft YaHei',sans-serif;color:#222;overflow:hidden}" +
    ".kefu-chat-panel[hidden]{display:none}" +
    ".kefu-chat-head{background:#1664ff;color:#fff;padding:10px 12px;display:flex;align-items:center;gap:8px}" +
    ".kefu-chat-head b{flex:1}.kefu-chat-head button{background:transparent;color:#fff;border:1px solid rgba(255,255,255,.6);border-radius:4px;padding:2px 8px;cursor:pointer}" +
    ".kefu-chat-status{padding:6px 12px;background:#f3f6ff;color:#555;font-size:13px;min-height:1.5em}" +
    ".kefu-chat-log{flex:1;overflow-y:auto;padding:10px 12px;display:flex;flex-direction:column;gap:6px}" +
    ".kefu-msg{max-width:80%;padding:6px 10px;border-radius:8px;white-space:pre-wrap;word-break:break-word}" +
    ".kefu-msg.visitor{align-self:flex-end;background:#1664ff;color:#fff}.kefu-msg.agent{align-self:flex-start;background:#eef0f3}" +
    ".kefu-msg.pending{opacity:.6}.kefu-msg small{display:block;font-size:11px;opacity:.7}" +
    ".kefu-chat-form{display:flex;gap:6px;padding:8px;border-top:1px solid #e5e5e5}" +
    ".kefu-chat-form textarea{flex:1;resize:none;height:40px;font:inherit;padding:6px;border:1px solid #ccc;border-radius:4px}" +
    ".kefu-chat-form button,.kefu-chat-start button{background:#1664ff;color:#fff;border:0;border-radius:4px;padding:0 14px;cursor:pointer}" +
    ".kefu-chat-start{padding:12px;display:flex;flex-direction:column;gap:8px}" +
    ".kefu-chat-start input,.kefu-chat-start textarea{font:inherit;padding:6px;border:1px solid #ccc;border-radius:4px}" +
    ".kefu-chat-start button{padding:8px}.kefu-chat-error{color:#c00;font-size:13px}" +
    "@media (max-width:600px){.kefu-chat-panel{right:0;bottom:0;width:100vw;height:100%;max-height:none;border-radius:0}}";

  var ui = {};

  function build() {
    var style = el("style", {}, css);
    document.head.appendChild(style);
    ui.button = el("button", { "class": "kefu-chat-button", type: "button", id: "kefu-chat-button" }, t("open"));
    ui.panel = el("div", { "class": "kefu-chat-panel", id: "kefu-chat-panel", role: "dialog", "aria-label": t("title") });
    ui.panel.hidden = true;
    var head = el("div", { "class": "kefu-chat-head" });
    ui.title = el("b", {}, t("title"));
    ui.end = el("button", { type: "button", id: "kefu-chat-end" }, t("end"));
    ui.end.hidden = true;
    ui.hide = el("button", { type: "button", "aria-label": t("minimize") }, "—");
    head.appendChild(ui.title); head.appendChild(ui.end); head.appendChild(ui.hide);
    ui.status = el("div", { "class": "kefu-chat-status", id: "kefu-chat-status", "aria-live": "polite" });
    ui.body = el("div", { "class": "kefu-chat-log", id: "kefu-chat-log" });
    ui.panel.appendChild(head); ui.panel.appendChild(ui.status); ui.panel.appendChild(ui.body);
    document.body.appendChild(ui.button); document.body.appendChild(ui.panel);
    ui.button.addEventListener("click", open);
    ui.hide.addEventListener("click", function () { ui.panel.hidden = true; ui.button.hidden = false; });
    ui.end.addEventListener("click", endChat);
  }

  function setStatus(text) { ui.status.textContent = text || ""; }

  function open() {
    ui.button.hidden = true;
    ui.panel.hidden = false;
    if (st.token || ui.started) { return; }
    ui.started = true;
    request("GET", "/topics/" + encodeURIComponent(topic) + "?lang=" + encodeURIComponent(lang)).then(function (s) {
      ui.title.textContent = s.name;
      if (!s.online) { offlineForm(); return; }
      var saved = null;
      try { saved = JSON.parse(sessionStorage.getItem(storeKey) || "null"); } catch (e) { saved = null; }
      if (saved && saved.token) { st.token = saved.token; chatView(); renew().then(connect); }
      else { startForm(); }
    }).catch(function () { setStatus(t("unavailable")); });
  }

  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }

  function startForm() {
    clear(ui.body);
    var f = el("form", { "class": "kefu-chat-start", id: "kefu-chat-start" });
    f.appendChild(el("label", { "for": "kefu-chat-name" }, t("name_label")));
    var name = el("input", { id: "kefu-chat-name", maxlength: "50", autocomplete: "name" });
    f.appendChild(name);
    var err = el("div", { "class": "kefu-chat-error" });
    f.appendChild(err);
    f.appendChild(el("button", { type: "submit", id: "kefu-chat-begin" }, t("start")));
    f.addEventListener("submit", function (ev) {
      ev.preventDefault();
      request("POST", "/conversations", { topic: topic, name: name.value }).then(function (r) {
        st.token = r.token;
        save();
        chatView();
        applyState(r.conversation);
        connect();
      }).catch(function (e) {
        if (e.code === "chat_offline") { offlineForm(); } else { err.textContent = refusal(e); }
      });
    });
    ui.body.appendChild(f);
    name.focus();
  }

  function offlineForm() {
    clear(ui.body);
    setStatus(t("offline"));
    var f = el("form", { "class": "kefu-chat-start", id: "kefu-chat-offline" });
    var fields = {};
    [["name", "name_label", "text"], ["phone", "phone_label", "tel"]].forEach(function (d) {
      f.appendChild(el("label", { "for": "kefu-offline-" + d[0] }, t(d[1])));
      fields[d[0]] = el("input", { id: "kefu-offline-" + d[0], type: d[2], required: "required" });
      f.appendChild(fields[d[0]]);
    });
    f.appendChild(el("label", { "for": "kefu-offline-message" }, t("message_label")));
    fields.message = el("textarea", { id: "kefu-offline-message", rows: "4", required: "required" });
    f.appendChild(fields.message);
    var err = el("div", { "class": "kefu-chat-error" });
    f.appendChild(err);
    f.appendChild(el("button", { type: "submit", id: "kefu-offline-send" }, t("leave_message")));
    f.addEventListener("submit", function (ev) {
      ev.preventDefault();
      request("POST", "/offline", { topic: topic, name: fields.name.value, phone: fields.phone.value,
        message: fields.message.value }).then(function (r) {
        clear(ui.body);
        ui.body.appendChild(el("p", { id: "kefu-offline-done" }, t("left_message", { number: r.number })));
      }).catch(function (e) { err.textContent = refusal(e); });
    });
    ui.body.appendChild(f);
  }

  // What to tell the visitor about a refused request: in their language when it is the
  // rate limit (too many chats from one address), else the server's message.
  function refusal(e) {
    return e.status === 429 ? t("too_many") : e.message;
  }

  function chatView() {
    clear(ui.body);
    ui.log = el("div", { id: "kefu-chat-messages" });
    ui.log.style.display = "contents";
    ui.body.appendChild(ui.log);
    if (!ui.form) {
      ui.form = el("form", { "class": "kefu-chat-form" });
      ui.input = el("textarea", { id: "kefu-chat-input", maxlength: "4000", "aria-label": t("input") , placeholder: t("input") });
      ui.send = el("button", { type: "submit", id: "kefu-chat-send" }, t("send"));
      ui.form.appendChild(ui.input); ui.form.appendChild(ui.send);
      ui.panel.appendChild(ui.form);
      ui.form.addEventListener("submit", function (ev) { ev.preventDefault(); sendMessage(); });
      ui.input.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); sendMessage(); }
      });
      ui.input.addEventListener("input", typing);
    }
    ui.end.hidden = false;
  }

  function save() {
    try { sessionStorage.setItem(storeKey, JSON.stringify({ token: st.token })); } catch (e) { /* private mode */ }
  }

  function forget() {
    try { sessionStorage.removeItem(storeKey); } catch (e) { /* private mode */ }
  }

  function applyState(v) {
    if (v.messages) { v.messages.forEach(addMessage); }
    st.state = v.state;
    if (v.state === "queued") { setStatus(v.position ? t("queued", { position: v.position }) : t("waiting")); }
    else if (v.state === "active") { setStatus(t("connected", { agent: v.agent_name || "" })); }
    else if (v.state === "closed") { closedView(); }
  }

  function closedView() {
    st.closed = true;
    setStatus(t("closed"));
    forget();
    if (ui.form) { ui.input.disabled = true; ui.send.disabled = true; }
    ui.end.hidden = true;
    if (st.ws) { try { st.ws.close(); } catch (e) { /* already closed */ } }
  }

  function addMessage(m) {
    if (m.seq <= st.seq) { return; }
    st.seq = m.seq;
    var node = m.client_id && st.pending[m.client_id];
    if (node) { delete st.pending[m.client_id]; node.classList.remove("pending"); return; }
    var b = el("div", { "class": "kefu-msg " + m.sender, "data-seq": String(m.seq) });
    if (m.sender === "agent" && m.author) { b.appendChild(el("small", {}, m.author)); }
    b.appendChild(document.createTextNode(m.body));
    ui.log.appendChild(b);
    ui.body.scrollTop = ui.body.scrollHeight;
  }

  function newId() {
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 10);
  }

  function sendMessage() {
    var text = ui.input.value.trim();
    if (!text || st.closed) { return; }
    ui.input.value = "";
    var cid = newId();
    var b = el("div", { "class": "kefu-msg visitor pending" }, text);
    st.pending[cid] = b;
    ui.log.appendChild(b);
    ui.body.scrollTop = ui.body.scrollHeight;
    stopTyping();
    deliver(cid, text, 0);
  }

  function deliver(cid, text, attempt) {
    if (st.ws && st.ws.readyState === 1) {
      st.ws.send(JSON.stringify({ type: "send", body: text, client_id: cid }));
      return;
    }
    request("POST", "/messages", { body: text, client_id: cid }, st.token).catch(function (e) {
      if (e.status && e.status < 500) { setStatus(e.message); return; }
      if (attempt < 5) { setTimeout(function () { deliver(cid, text, attempt + 1); }, 1000 * (attempt + 1)); }
    });
  }

  function typing() {
    if (!st.typingOn) { st.typingOn = true; signalTyping(true); }
    clearTimeout(st.typingTimer);
    st.typingTimer = setTimeout(stopTyping, 3000);
  }

  function stopTyping() {
    clearTimeout(st.typingTimer);
    if (st.typingOn) { st.typingOn = false; signalTyping(false); }
  }

  function signalTyping(on) {
    if (st.ws && st.ws.readyState === 1) { st.ws.send(JSON.stringify({ type: "typing", on: on })); }
    else if (st.token) { request("POST", "/typing", { on: on }, st.token).catch(function () {}); }
  }

  function endChat() {
    if (!st.token || st.closed) { return; }
    request("POST", "/close", null, st.token).then(closedView, closedView);
  }

  function onFrame(f) {
    if (f.type === "message") { addMessage(f); }
    else if (f.type === "state") { applyState(f); }
    else if (f.type === "typing") {
      if (f.on) { setStatus(t("agent_typing")); } else if (st.state === "active") { applyState({ state: "active", agent_name: st.agent }); }
    } else if (f.type === "error" && f.code === "chat_token") { forget(); st.token = null; st.closed = true; setStatus(t("expired")); }
    if (f.type === "state" && f.agent_name) { st.agent = f.agent_name; }
  }

  function connect() {
    if (st.closed || !st.token) { return; }
    if (!window.WebSocket || st.wsFails >= 3) { poll(); return; }
    var opened = false;
    var ws;
    try { ws = new WebSocket(base.replace(/^http/, "ws") + "/chat/ws"); } catch (e) { st.wsFails = 3; poll(); return; }
    st.ws = ws;
    ws.onopen = function () {
      opened = true;
      st.wsFails = 0;
      ws.send(JSON.stringify({ type: "hello", token: st.token, after: st.seq }));
      // Messages written while disconnected go out again (the server stores each once).
      for (var cid in st.pending) { ws.send(JSON.stringify({ type: "send", body: st.pending[cid].textContent, client_id: cid })); }
    };
    ws.onmessage = function (ev) {
      var f; try { f = JSON.parse(ev.data); } catch (e) { return; }
      onFrame(f);
    };
    ws.onclose = function () {
      st.ws = null;
      if (st.closed) { return; }
      if (!opened) { st.wsFails += 1; }
      setTimeout(function () { renew().then(connect); }, opened ? 500 : 1500);
    };
  }

  function poll() {
    if (st.polling || st.closed || !st.token) { return; }
    st.polling = true;
    request("GET", "/poll?after=" + st.seq + "&wait=25", null, st.token).then(function (v) {
      st.polling = false;
      if (v.agent_typing === true) { setStatus(t("agent_typing")); }
      if (v.agent_name) { st.agent = v.agent_name; }
      applyState(v);
      poll();
    }).catch(function (e) {
      st.polling = false;
      if (e.code === "chat_token") { onFrame({ type: "error", code: "chat_token" }); return; }
      setTimeout(poll, 2000);
    });
  }

  // A fresh token for the same chat. An expired one cannot be renewed: the chat is over
  // for this page. Other failures (offline) leave the token as it is.
  function renew() {
    if (!st.token || st.closed) { return Promise.resolve(); }
    return request("POST", "/token", null, st.token).then(function (r) { st.token = r.token; save(); }, function (e) {
      if (e.code === "chat_token") { onFrame({ type: "error", code: "chat_token" }); }
    });
  }

  function init() {
    request("GET", "/topics/" + encodeURIComponent(topic) + "?lang=" + encodeURIComponent(lang)).then(function (s) {
      S = s.strings || {};
      build();
      setInterval(renew, 30 * 60 * 1000);
      document.addEventListener("visibilitychange", function () {
        if (document.visibilityState === "visible") { renew(); }
      });
    }).catch(function () { /* the topic does not exist: show nothing */ });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
