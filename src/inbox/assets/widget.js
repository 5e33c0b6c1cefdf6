// Baton's web chat widget. Embedded with one tag:
//   <script src="https://baton.example.com/widget.js" data-baton-key="pk_…" async></script>
// It lives in a shadow root (the site's styles do not reach it, nor its styles the site), keeps
// the visitor's token in localStorage (one conversation per key and browser), and reads the
// conversation live from /widget/v1/stream, resuming after its last item. Message text is only
// ever set as text, never as HTML.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.dataset.batonKey) return;
  var key = script.dataset.batonKey;
  var base = new URL(script.src, location.href).origin;
  var store = "baton-chat:" + key;
  var token = null;
  var cursor = "";
  var stream = null;
  var retry = 1000;
  var unread = 0;
  var typingTimer = null;

  var host = document.createElement("div");
  host.setAttribute("data-baton-chat", "");
  var root = host.attachShadow({ mode: "open" });
  root.innerHTML =
    '<link rel="stylesheet" href="' + base + '/widget.css">' +
    '<div class="w" hidden>' +
    '<section class="panel" id="panel" role="dialog" aria-labelledby="title" hidden>' +
    '<header><h2 id="title">Chat</h2>' +
    '<button type="button" class="close" aria-label="Close the chat">\u00d7</button></header>' +
    '<div class="log" role="log" aria-live="polite" aria-label="Conversation" tabindex="0"></div>' +
    '<p class="typing" aria-live="polite"></p>' +
    '<p class="status" role="status"></p>' +
    '<form novalidate><label for="text" class="vh">Your message</label>' +
    '<textarea id="text" rows="1" maxlength="4000" placeholder="Write a message\u2026"></textarea>' +
    '<button type="submit" class="send">Send</button></form>' +
    "</section>" +
    '<button type="button" class="bubble" aria-controls="panel" aria-expanded="false">' +
    '<span class="label">Chat with us</span><span class="badge" hidden></span></button>' +
    "</div>";
  var $ = function (s) { return root.querySelector(s); };
  var wrap = $(".w"), panel = $(".panel"), bubble = $(".bubble"), log = $(".log");
  var form = $("form"), text = $("#text"), status = $(".status"), typing = $(".typing");
  var badge = $(".badge");
  // Shown once its style sheet is in, so the page never flashes an unstyled chat.
  $("link").addEventListener("load", function () { wrap.hidden = false; });
  (document.body || document.documentElement).appendChild(host);

  function say(msg, bad) {
    status.textContent = msg || "";
    status.className = "status" + (bad ? " bad" : "");
  }

  function call(method, path, body) {
    var headers = { "Content-Type": "application/json" };
    if (token) headers.Authorization = "Bearer " + token;
    return fetch(base + path, {
      method: method,
      headers: headers,
      body: body ? JSON.stringify(body) : undefined,
      credentials: "omit",
    }).then(function (res) {
      return res.text().then(function (t) {
        var data = null;
        try { data = t ? JSON.parse(t) : null; } catch (e) { data = null; }
        return { ok: res.ok, status: res.status, data: data, wait: res.headers.get("Retry-After") };
      });
    });
  }

  function problem(r) {
    if (r.status === 429) return "You are writing fast: wait " + (r.wait || "a few") + " seconds.";
    return (r.data && r.data.detail) || "Could not reach the chat. Try again in a moment.";
  }

  function setTitle(conv) {
    $("#title").textContent = conv.title || "Chat";
    bubble.querySelector(".label").textContent = conv.title || "Chat with us";
    if (conv.welcome && !log.querySelector(".welcome")) {
      var p = document.createElement("p");
      p.className = "notice welcome";
      p.textContent = conv.welcome;
      log.insertBefore(p, log.firstChild);
    }
  }

  function time(at) {
    var d = new Date(at);
    return isNaN(d) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function line(item) {
    var el = document.createElement("div");
    if (item.type === "notice") {
      el.className = "notice";
      el.textContent = item.text;
      return el;
    }
    el.className = "msg " + item.from;
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = item.from === "visitor" ? "You" : item.from === "agent" ? item.name || "Agent" : "Assistant";
    var body = document.createElement("p");
    body.textContent = item.text;
    var when = document.createElement("time");
    when.dateTime = item.at;
    when.textContent = time(item.at);
    el.appendChild(who);
    el.appendChild(body);
    el.appendChild(when);
    return el;
  }

  function show(item) {
    if (item.type === "message" && item.from === "visitor" && item.client_id) {
      var mine = log.querySelector('[data-client="' + CSS.escape(item.client_id) + '"]');
      if (mine) {
        mine.classList.remove("pending");
        mine.removeAttribute("data-client");
        return;
      }
    }
    if (item.from === "agent") typing.textContent = "";
    log.appendChild(line(item));
    log.scrollTop = log.scrollHeight;
    if (panel.hidden && item.from !== "visitor") {
      unread += 1;
      badge.textContent = String(unread);
      badge.hidden = false;
      bubble.setAttribute("aria-label", (bubble.querySelector(".label").textContent) + ", " + unread + " new");
    }
  }

  function handle(event, data, id) {
    if (event === "item") {
      if (id) cursor = id;
      show(JSON.parse(data));
    } else if (event === "typing") {
      typing.textContent = JSON.parse(data).name + " is typing\u2026";
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { typing.textContent = ""; }, 6000);
    } else if (event === "end") {
      ended("This chat is closed.");
    }
  }

  function ended(msg) {
    if (stream) stream.abort();
    stream = null;
    token = null;
    try { localStorage.removeItem(store); } catch (e) { /* private mode */ }
    text.disabled = true;
    form.querySelector("button").disabled = true;
    say(msg, true);
  }

  // EventSource cannot send the token in a header, so the stream is read with fetch.
  function listen() {
    if (!token || stream) return;
    var ctrl = new AbortController();
    stream = ctrl;
    var headers = { Authorization: "Bearer " + token };
    if (cursor) headers["Last-Event-ID"] = cursor;
    fetch(base + "/widget/v1/stream", { headers: headers, signal: ctrl.signal, credentials: "omit" })
      .then(function (res) {
        if (res.status === 401 || res.status === 403) {
          ended(res.status === 403 ? "This chat is closed." : "");
          return;
        }
        if (!res.ok || !res.body) throw new Error("stream " + res.status);
        retry = 1000;
        say("");
        var reader = res.body.getReader();
        var decoder = new TextDecoder();
        var buf = "";
        function pump() {
          return reader.read().then(function (r) {
            if (r.done) throw new Error("stream ended");
            buf += decoder.decode(r.value, { stream: true });
            var cut;
            while ((cut = buf.indexOf("\n\n")) >= 0) {
              var block = buf.slice(0, cut);
              buf = buf.slice(cut + 2);
              var event = "message", data = [], id = null;
              block.split("\n").forEach(function (l) {
                var i = l.indexOf(":");
                if (i <= 0) return;
                var f = l.slice(0, i), v = l.slice(i + 1).replace(/^ /, "");
                if (f === "event") event = v;
                else if (f === "data") data.push(v);
                else if (f === "id") id = v;
              });
              if (data.length) handle(event, data.join("\n"), id);
            }
            return pump();
          });
        }
        return pump();
      })
      .catch(function () {
        if (stream !== ctrl) return;
        stream = null;
        if (!token) return;
        say("Reconnecting\u2026");
        setTimeout(listen, retry);
        retry = Math.min(retry * 2, 15000);
      });
  }

  // One conversation per visitor: opening the chat and sending at once must not start two.
  var starting = null;
  function start() {
    if (token) return Promise.resolve(true);
    if (starting) return starting;
    starting = call("POST", "/widget/v1/conversations", { key: key, locale: navigator.language || undefined }).then(function (r) {
      starting = null;
      if (!r.ok) { say(problem(r), true); return false; }
      token = r.data.token;
      try { localStorage.setItem(store, token); } catch (e) { /* private mode */ }
      setTitle(r.data);
      listen();
      return true;
    }, function (e) { starting = null; throw e; });
    return starting;
  }

  function openPanel() {
    panel.hidden = false;
    bubble.setAttribute("aria-expanded", "true");
    unread = 0;
    badge.hidden = true;
    bubble.removeAttribute("aria-label");
    text.focus();
    log.scrollTop = log.scrollHeight;
    start();
  }

  function closePanel() {
    panel.hidden = true;
    bubble.setAttribute("aria-expanded", "false");
    bubble.focus();
  }

  bubble.addEventListener("click", function () { if (panel.hidden) openPanel(); else closePanel(); });
  $(".close").addEventListener("click", closePanel);
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") closePanel(); });
  text.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var value = text.value.trim();
    if (!value) return;
    start().then(function (ok) {
      if (!ok) return;
      var id = "c" + Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
      var mine = line({ type: "message", from: "visitor", text: value, at: new Date().toISOString() });
      mine.classList.add("pending");
      mine.setAttribute("data-client", id);
      log.appendChild(mine);
      log.scrollTop = log.scrollHeight;
      text.value = "";
      return call("POST", "/widget/v1/messages", { text: value, client_id: id }).then(function (r) {
        if (r.ok) { say(""); return; }
        mine.remove();
        text.value = value;
        say(problem(r), true);
        if (r.status === 401) ended("This chat has ended. Open it again to start a new one.");
      });
    }).catch(function () { say("Could not reach the chat. Try again in a moment.", true); });
  });

  try { token = localStorage.getItem(store); } catch (e) { token = null; }
  if (!token) {
    call("GET", "/widget/v1/widgets/" + encodeURIComponent(key)).then(function (r) {
      if (r.ok) setTitle(r.data);
    }).catch(function () { /* offline: the bubble keeps its default label */ });
  } else {
    call("GET", "/widget/v1/conversation").then(function (r) {
      if (r.ok) { setTitle(r.data); listen(); }
      else { token = null; try { localStorage.removeItem(store); } catch (e) { /* private */ } }
    }).catch(function () { /* offline: the visitor can still open the chat */ });
  }
})();
