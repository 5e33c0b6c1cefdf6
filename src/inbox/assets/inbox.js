// Baton inbox: live updates over server-sent events, and the conversation actions, sent to the
// JSON API with the session cookie and the page's CSRF token. No framework, no build step.
"use strict";

(function () {
  const page = document.body.dataset.page;
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.content : "";
  const session = document.body.dataset.session || null;
  const sessionPath = session ? "/v1/sessions/" + encodeURIComponent(session) : null;

  function toast(text, bad) {
    const el = document.getElementById("toast");
    if (!el) return;
    el.textContent = text;
    el.className = bad ? "show bad" : "show";
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { el.className = ""; }, bad ? 8000 : 3000);
  }

  async function api(path, body, method) {
    const res = await fetch(path, {
      method: method || "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: method === "DELETE" ? undefined : JSON.stringify(body || {}),
    });
    let data = null;
    try { data = await res.json(); } catch (_) { /* empty answer */ }
    return { ok: res.ok, status: res.status, data };
  }

  // Re-fetches this page and swaps every [data-live] element whose data-key changed.
  let refreshing = null;
  let again = false;
  async function refresh() {
    if (refreshing) { again = true; return refreshing; }
    refreshing = (async () => {
      try {
        const res = await fetch(location.href, { credentials: "same-origin", cache: "no-store" });
        if (res.redirected && res.url.indexOf("/inbox/login") >= 0) { location.href = res.url; return; }
        if (page === "conversation" && (res.status === 404 || res.status === 403)) { movedAway(); return; }
        if (!res.ok) return;
        const doc = new DOMParser().parseFromString(await res.text(), "text/html");
        doc.querySelectorAll("[data-live][id]").forEach((fresh) => {
          const old = document.getElementById(fresh.id);
          if (!old || old.dataset.key === fresh.dataset.key) return;
          const atBottom = old.scrollHeight - old.scrollTop - old.clientHeight < 40;
          const hadFocus = old.contains(document.activeElement);
          old.replaceWith(document.adoptNode(fresh));
          if (fresh.id === "timeline" && atBottom) fresh.scrollTop = fresh.scrollHeight;
          if (hadFocus) focusFirst(fresh);
        });
        tick();
        applyFilter();
        restoreSelection();
        schedulePendingCheck();
        highlightNew();
        markRead();
      } finally {
        refreshing = null;
        if (again) { again = false; refresh(); }
      }
    })();
    return refreshing;
  }

  // The conversation left the reviewer's teams (transferred away) or is gone: say so, and
  // disable what can no longer work instead of leaving a live-looking reply box.
  function movedAway() {
    if (document.body.classList.contains("gone")) return;
    document.body.classList.add("gone");
    const state = document.getElementById("state");
    if (state) {
      const banner = document.createElement("div");
      banner.className = "banner gone";
      banner.setAttribute("role", "alert");
      const p = document.createElement("p");
      const strong = document.createElement("strong");
      strong.textContent = "This conversation moved away.";
      p.append(strong, " It is no longer in your teams (transferred, or removed), so you cannot act on it here. ");
      const back = document.createElement("a");
      back.href = "/inbox";
      back.textContent = "Back to the queue";
      p.append(back);
      banner.append(p);
      state.prepend(banner);
    }
    document.querySelectorAll("#state, #approval, #notes-form").forEach((root) => {
      root.querySelectorAll("button, textarea, input, select").forEach((el) => { el.disabled = true; });
      root.querySelectorAll("details[open]").forEach((d) => { d.open = false; });
    });
    document.querySelectorAll("[data-live]").forEach((el) => { el.removeAttribute("data-live"); });
  }

  function focusFirst(root) {
    const el = root.querySelector("textarea, button, [tabindex]");
    if (el) el.focus();
  }

  // Replies waiting for their callback: look again shortly so "delivered" shows up.
  let pendingTimer = null;
  let pendingTries = 0;
  function schedulePendingCheck() {
    if (!document.querySelector("[data-pending]")) { pendingTries = 0; return; }
    if (pendingTimer || pendingTries > 60) return;
    pendingTries += 1;
    pendingTimer = setTimeout(() => { pendingTimer = null; refresh(); }, 1000);
  }

  // Waiting times and time left, kept current without a reload.
  function span(s) {
    s = Math.max(0, Math.floor(s));
    if (s < 60) return s + " s";
    if (s < 3600) return Math.floor(s / 60) + " min";
    if (s < 86400) return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
    return Math.floor(s / 86400) + " d " + Math.floor((s % 86400) / 3600) + " h";
  }
  // Times in the reader's own zone: the time alone when it is today here, else date and time;
  // the full date and time (with the zone) in the title.
  const timeOnly = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
  const dateTime = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
  const dateYearTime = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });
  const dayTime = new Intl.DateTimeFormat(undefined, { weekday: "short", hour: "2-digit", minute: "2-digit" });
  const full = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "long" });
  function sameDay(a, b) {
    return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
  }
  function localize() {
    const today = new Date();
    document.querySelectorAll("time[data-local]").forEach((el) => {
      const at = new Date(el.getAttribute("datetime"));
      if (isNaN(at.getTime())) return;
      let text;
      if (el.dataset.local === "day") text = dayTime.format(at);
      else if (sameDay(at, today)) text = timeOnly.format(at);
      else if (at.getFullYear() === today.getFullYear()) text = dateTime.format(at);
      else text = dateYearTime.format(at);
      if (el.textContent !== text) el.textContent = text;
      const title = full.format(at);
      if (el.title !== title) el.title = title;
    });
  }

  function tick() {
    localize();
    const now = Date.now() / 1000;
    document.querySelectorAll("[data-since]").forEach((el) => {
      el.textContent = span(now - Number(el.dataset.since));
    });
    document.querySelectorAll("[data-until]").forEach((el) => {
      const left = Number(el.dataset.until) - now;
      el.textContent = left > 0 ? span(left) : "now";
      el.classList.toggle("overdue", left <= 0);
    });
    document.querySelectorAll("[data-window-until]").forEach((el) => {
      const left = Number(el.dataset.windowUntil) - now;
      el.textContent = left > 0 ? "window closes in " + span(left) : "window closed";
      el.classList.toggle("closed", left <= 0);
    });
  }

  // The list of open conversations beside a conversation (wide screens only).
  function listShown() {
    const list = document.getElementById("convlist");
    return !!list && list.offsetParent !== null;
  }

  function live() {
    // Only the queue and conversations change under the reviewer's eyes.
    if (!window.EventSource || (page !== "queue" && page !== "conversation")) return;
    let timer = null;
    const soon = () => { clearTimeout(timer); timer = setTimeout(refresh, 50); };
    const source = new EventSource("/v1/events");
    let attentionTimer = null;
    const attentionSoon = () => { clearTimeout(attentionTimer); attentionTimer = setTimeout(attention, 150); };
    source.addEventListener("session", (e) => {
      const ev = JSON.parse(e.data);
      if (page === "queue" || ev.session_id === session || listShown()) soon();
      if (ev.kind === "offer_lapsed") loadAvailability();
      attentionSoon();
    });
    source.addEventListener("reset", soon);
    source.addEventListener("reset", attentionSoon);
    source.addEventListener("open", loadAvailability);
    source.addEventListener("open", () => document.body.classList.remove("offline"));
    source.addEventListener("error", () => document.body.classList.add("offline"));
  }

  // Availability: shown from, and written to, the routing API. Automatic assignment offers
  // conversations only to reviewers who are online with the inbox open.
  // A read that overlaps the reviewer's own choice must not undo it: a choice bumps `choices`
  // when it is sent and again when it is answered, and a read only shows its answer when
  // `choices` did not move while it was out.
  const availability = document.getElementById("availability");
  let choices = 0;
  async function loadAvailability() {
    if (!availability) return;
    const asked = choices;
    const res = await fetch("/v1/me/availability", { credentials: "same-origin", cache: "no-store" });
    if (!res.ok) return;
    const me = await res.json();
    if (asked !== choices) return;
    availability.value = me.availability;
    availability.dataset.state = me.availability;
  }
  if (availability) {
    availability.addEventListener("change", async () => {
      choices += 1;
      const chosen = availability.value;
      const res = await fetch("/v1/me/availability", {
        method: "PUT",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ availability: chosen }),
      });
      choices += 1; // a read that overlapped the write may have seen the value before it
      if (res.ok) {
        availability.dataset.state = chosen;
        toast("You are " + chosen + ".");
      } else {
        toast("Could not change your availability (" + res.status + ").", true);
        loadAvailability();
      }
    });
    loadAvailability();
  }

  // Team routing (admin): the form becomes one PUT of the team's routing, then one PUT per
  // changed capacity.
  const routingForm = document.getElementById("routing-form");
  function routingBody(form) {
    const get = (id) => form.querySelector("#" + id).value;
    const body = { policy: get("policy"), offer_timeout: get("offer_timeout").trim() };
    if (/^[0-9]+$/.test(body.offer_timeout)) body.offer_timeout = Number(body.offer_timeout);
    if (!form.querySelector("#hours_enabled").checked) {
      body.business_hours = null;
      return body;
    }
    const weekly = {};
    form.querySelectorAll("[data-day]").forEach((input) => {
      weekly[input.dataset.day] = input.value.split(",").map((s) => s.trim()).filter(Boolean).map((s) => {
        const [open, close] = s.split("-").map((x) => (x || "").trim());
        return { open, close };
      });
    });
    body.business_hours = {
      timezone: get("timezone").trim(),
      weekly,
      holidays: get("holidays").split(/\s+/).filter(Boolean),
      off_hours_message: get("off_hours_message"),
      off_hours_action: get("off_hours_action"),
    };
    return body;
  }
  if (routingForm) {
    routingForm.addEventListener("submit", async (e) => {
      e.preventDefault();
      const err = routingForm.querySelector(".formerror");
      err.textContent = "";
      const team = encodeURIComponent(routingForm.dataset.team);
      const send = (path, body) => fetch(path, {
        method: "PUT",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify(body),
      });
      const res = await send("/v1/teams/" + team + "/routing", routingBody(routingForm));
      if (!res.ok) {
        const p = await res.json().catch(() => ({}));
        err.textContent = (p.errors || []).map((x) => x.field + ": " + x.message).join("; ") || p.detail || ("Not saved (" + res.status + ")");
        return;
      }
      for (const input of routingForm.querySelectorAll("[data-capacity]")) {
        if (input.value === input.dataset.was) continue;
        const capacity = input.value === "" ? null : Number(input.value);
        const r = await send("/v1/reviewers/" + encodeURIComponent(input.dataset.capacity) + "/routing", { capacity });
        if (!r.ok) {
          const p = await r.json().catch(() => ({}));
          err.textContent = input.dataset.capacity + ": " + (p.detail || r.status);
          return;
        }
        input.dataset.was = input.value;
      }
      toast("Routing saved.");
    });
  }

  const verbs = {
    claim: "Claimed. You can reply now.",
    release: "Released to the queue.",
    close: "Conversation closed.",
    replies: null,
    notes: "Note added.",
    transfer: "Transferred.",
    handback: "Handed back to the AI.",
    decision: "Decision sent.",
  };

  // Sign-in names to display names, as the conversation page lists them.
  function shown(name) {
    const holder = document.querySelector("[data-names]");
    try {
      const names = holder ? JSON.parse(holder.dataset.names) : {};
      return names[name] || name;
    } catch (_) {
      return name;
    }
  }

  function problemText(r) {
    if (r.data && r.data.held_by) {
      return "Someone else got it first: " + shown(r.data.held_by) + " already holds this conversation.";
    }
    if (r.data && r.data.detail) return r.data.detail;
    return "Something went wrong (" + r.status + "). Try again.";
  }

  // Buttons: claim, release, close.
  document.addEventListener("click", async (e) => {
    const btn = e.target.closest("button[data-action]");
    if (!btn || !sessionPath) return;
    if (btn.dataset.confirm && !window.confirm(btn.dataset.confirm)) return;
    btn.disabled = true;
    const r = await api(sessionPath + "/" + btn.dataset.action);
    btn.disabled = false;
    if (r.ok) toast(verbs[btn.dataset.action] || "Done.");
    else toast(problemText(r), true);
    await refresh();
    if (r.ok && btn.dataset.action === "claim") {
      const reply = document.getElementById("reply");
      if (reply) reply.focus();
    }
  });

  // Forms: reply, note, transfer, hand back.
  document.addEventListener("submit", async (e) => {
    const form = e.target.closest("form[data-action]");
    if (!form || !sessionPath) return;
    e.preventDefault();
    const action = form.dataset.action;
    const fields = Object.fromEntries(new FormData(form).entries());
    if (fields.note === "") delete fields.note;
    if (action === "decision") {
      if (fields.comment === "") delete fields.comment;
      if (fields.decision !== "edit") delete fields.edited;
      else {
        try {
          fields.edited = JSON.parse(fields.edited);
        } catch (_) {
          // plain text is a valid edited proposal too
        }
      }
    }
    const err = form.querySelector(".formerror");
    if (err) err.textContent = "";
    const button = form.querySelector('button[type="submit"]');
    if (button) button.disabled = true;
    const r = await api(form.dataset.endpoint || sessionPath + "/" + action, fields);
    if (button) button.disabled = false;
    if (!r.ok) {
      if (err) err.textContent = problemText(r);
      else toast(problemText(r), true);
      // Refused because the conversation left the reviewer's teams: the refresh says so.
      if (r.status === 404 || r.status === 403) refresh();
      return;
    }
    form.reset();
    if (verbs[action]) toast(verbs[action]);
    await refresh();
    const again = document.getElementById(action === "replies" ? "reply" : "");
    if (again) again.focus();
  });

  // Composer: Enter sends, Shift+Enter makes a new line; typing is forwarded at most every 3 s.
  let lastTyping = 0;
  document.addEventListener("keydown", (e) => {
    if (e.target.id !== "reply" || e.key !== "Enter" || e.shiftKey || e.isComposing) return;
    e.preventDefault();
    if (e.target.value.trim() !== "") e.target.form.requestSubmit();
  });
  document.addEventListener("input", (e) => {
    if (e.target.id !== "reply" || !sessionPath) return;
    const now = Date.now();
    if (now - lastTyping < 3000 || e.target.value === "") return;
    lastTyping = now;
    api(sessionPath + "/typing");
  });

  // Canned responses in the reply box (src/inbox/canned.rs renders the list, filled in for this
  // conversation, as JSON in #canned-data). "/" at the start of the box or after a space opens
  // a listbox of those whose shortcut or title holds what follows the slash; ArrowUp/ArrowDown
  // move, Enter or Tab inserts (replacing "/word"), Escape closes. The reply box stays a
  // textbox (a textarea may not take the combobox role): it names the list with aria-controls
  // and the chosen option with aria-activedescendant. Every listener is on the document, so
  // the live refresh may swap #state (and the composer in it) freely; the keydown listener
  // runs in the capture phase, before the composer's "Enter sends".
  function cannedResponses() {
    const MAX = 8;
    let open = null; // { box, start, end, items, at }

    function responses() {
      const el = document.getElementById("canned-data");
      if (!el) return [];
      try { return JSON.parse(el.textContent) || []; } catch (_) { return []; }
    }
    // The "/word" just before the caret, when the slash starts the box or follows white space.
    function slashWord(box) {
      if (box.selectionStart !== box.selectionEnd) return null;
      const before = box.value.slice(0, box.selectionStart);
      const m = /(^|\s)\/([^\s/]*)$/.exec(before);
      if (!m) return null;
      return { start: before.length - m[2].length - 1, end: before.length, word: m[2].toLowerCase() };
    }
    function matches(word) {
      const all = responses().filter((c) =>
        word === "" || c.shortcut.indexOf(word) >= 0 || c.title.toLowerCase().indexOf(word) >= 0);
      const first = all.filter((c) => c.shortcut.indexOf(word) === 0);
      const rest = all.filter((c) => c.shortcut.indexOf(word) !== 0);
      return first.concat(rest).slice(0, MAX);
    }
    function say(text) {
      const status = document.getElementById("canned-status");
      if (status && status.textContent !== text) status.textContent = text;
    }
    function close() {
      const list = document.getElementById("canned-list");
      if (list) { list.hidden = true; list.replaceChildren(); }
      if (open && open.box) open.box.removeAttribute("aria-activedescendant");
      if (open) say("");
      open = null;
    }
    function show(box, found) {
      const list = document.getElementById("canned-list");
      if (!list) return;
      open = Object.assign(found, { box, items: matches(found.word), at: 0 });
      if (!open.items.length) {
        list.hidden = true;
        list.replaceChildren();
        box.removeAttribute("aria-activedescendant");
        say(responses().length ? "No canned response matches." : "");
        return;
      }
      list.replaceChildren(...open.items.map((c, i) => {
        const li = document.createElement("li");
        li.id = "canned-opt-" + i;
        li.setAttribute("role", "option");
        li.dataset.index = String(i);
        const key = document.createElement("span");
        key.className = "key";
        key.textContent = "/" + c.shortcut;
        const title = document.createElement("span");
        title.className = "title";
        title.textContent = c.title;
        const text = document.createElement("span");
        text.className = "text";
        text.textContent = c.text;
        li.append(key, " ", title, text);
        return li;
      }));
      list.hidden = false;
      mark();
      const n = open.items.length;
      say(n + (n === 1 ? " canned response" : " canned responses") + ": up and down to choose, Enter to insert, Escape to close.");
    }
    function mark() {
      const list = document.getElementById("canned-list");
      if (!open || !list) return;
      Array.from(list.children).forEach((li, i) => {
        li.setAttribute("aria-selected", i === open.at ? "true" : "false");
      });
      open.box.setAttribute("aria-activedescendant", "canned-opt-" + open.at);
      const chosen = list.children[open.at];
      if (chosen && chosen.scrollIntoView) chosen.scrollIntoView({ block: "nearest" });
    }
    function insert(i) {
      if (!open || !open.items[i]) return;
      const { box, start, end } = open;
      const text = open.items[i].text;
      box.setRangeText(text, start, end, "end");
      close();
      box.focus();
      box.dispatchEvent(new Event("input", { bubbles: true }));
      say("Inserted.");
    }
    function update(box) {
      const found = slashWord(box);
      if (found && responses().length) show(box, found);
      else if (open) close();
    }

    document.addEventListener("input", (e) => {
      if (e.target.id === "reply") update(e.target);
    });
    // Moving the caret (clicks, Home/End) may leave the "/word": look again.
    document.addEventListener("keyup", (e) => {
      if (e.target.id !== "reply" || !open) return;
      if (["ArrowLeft", "ArrowRight", "Home", "End"].indexOf(e.key) >= 0) update(e.target);
    });
    document.addEventListener("keydown", (e) => {
      if (!open || e.target !== open.box || e.isComposing || !open.items.length) return;
      const n = open.items.length;
      const stop = () => { e.preventDefault(); e.stopImmediatePropagation(); };
      if (e.key === "ArrowDown") { stop(); open.at = (open.at + 1) % n; mark(); }
      else if (e.key === "ArrowUp") { stop(); open.at = (open.at - 1 + n) % n; mark(); }
      else if ((e.key === "Enter" && !e.shiftKey) || (e.key === "Tab" && !e.shiftKey)) { stop(); insert(open.at); }
      else if (e.key === "Escape") { stop(); close(); }
    }, true);
    // A click chooses an option; mousedown keeps the focus in the reply box.
    document.addEventListener("mousedown", (e) => {
      const li = e.target.closest && e.target.closest("#canned-list [role=option]");
      if (!li) return;
      e.preventDefault();
      insert(Number(li.dataset.index));
    });
    document.addEventListener("focusout", (e) => {
      if (open && e.target === open.box) close();
    });
  }
  cannedResponses();

  // Admin pages: forms and buttons marked data-api go to the JSON API with their method.
  // Conventions (see src/inbox/admin.rs): data-type="bool" checkboxes are sent as true/false,
  // data-type="list" checkboxes as an array of checked values, data-type="lines" text as an
  // array of its non-empty lines, data-optional fields are left out
  // when empty, data-rows containers become arrays of objects (one per [data-row]), and
  // "{field}" in data-endpoint takes that field's value (percent-encoded) out of the body.
  function fieldsOf(root, skipRows) {
    const out = {};
    root.querySelectorAll("input[name], select[name], textarea[name]").forEach((el) => {
      if (skipRows && el.closest("[data-rows]")) return;
      const name = el.name;
      if (el.dataset.type === "bool") { out[name] = el.checked; return; }
      if (el.dataset.type === "lines") {
        out[name] = el.value.split("\n").map((l) => l.trim()).filter((l) => l !== "");
        return;
      }
      if (el.dataset.type === "list") {
        if (!Array.isArray(out[name])) out[name] = [];
        if (el.checked) out[name].push(el.value);
        return;
      }
      if (el.type === "checkbox" || el.type === "radio") { if (el.checked) out[name] = el.value; return; }
      if (el.dataset.optional !== undefined && el.value.trim() === "") return;
      // "header.format": a field of the object "header", made when one of its fields is sent.
      const dot = name.indexOf(".");
      if (dot > 0) {
        const outer = name.slice(0, dot);
        if (typeof out[outer] !== "object" || out[outer] === null) out[outer] = {};
        out[outer][name.slice(dot + 1)] = el.value;
        return;
      }
      out[name] = el.value;
    });
    return out;
  }

  function formBody(form) {
    const body = fieldsOf(form, true);
    form.querySelectorAll("[data-rows]").forEach((list) => {
      body[list.dataset.rows] = Array.from(list.querySelectorAll("[data-row]"))
        .map((row) => fieldsOf(row, false))
        .filter((row) => Object.values(row).some((v) => v !== ""));
    });
    return body;
  }

  function endpointFor(template, body) {
    return template.replace(/\{(\w+)\}/g, (_, field) => {
      const value = body[field] || "";
      delete body[field];
      return encodeURIComponent(value);
    });
  }

  function clearForm(form) {
    form.reset();
    form.querySelectorAll("input, textarea").forEach((el) => {
      if (el.type === "checkbox" || el.type === "radio") el.checked = el.defaultChecked;
      else if (el.type !== "hidden" && !el.readOnly) el.value = el.defaultValue;
    });
    form.querySelectorAll("select").forEach((el) => {
      const chosen = Array.from(el.options).find((o) => o.defaultSelected);
      el.value = chosen ? chosen.value : (el.options[0] ? el.options[0].value : "");
    });
    form.querySelectorAll("[data-rows]").forEach((list) => {
      Array.from(list.querySelectorAll("[data-row]")).slice(1).forEach((row) => row.remove());
    });
  }

  function showResult(id, data) {
    const box = document.getElementById(id);
    if (!box || !data) return;
    box.querySelectorAll("[data-field]").forEach((el) => { el.value = data[el.dataset.field] || ""; });
    box.hidden = false;
    box.focus();
  }

  document.addEventListener("submit", async (e) => {
    const form = e.target.closest("form[data-api]");
    if (!form) return;
    e.preventDefault();
    const body = formBody(form);
    const path = endpointFor(form.dataset.endpoint, body);
    const err = form.querySelector(".formerror");
    if (err) err.textContent = "";
    const button = form.querySelector('button[type="submit"]');
    if (button) button.disabled = true;
    const r = await api(path, body, form.dataset.api);
    if (button) button.disabled = false;
    if (!r.ok) {
      if (err) err.textContent = problemText(r);
      else toast(problemText(r), true);
      return;
    }
    if (form.dataset.result) showResult(form.dataset.result, r.data);
    // An add form is emptied for the next one (its repeated rows back to one); an edit form
    // keeps what it now says.
    if (!form.closest("details:not(.create)")) clearForm(form);
    toast(form.dataset.success || "Saved.");
    await refresh();
  });

  document.addEventListener("click", async (e) => {
    const btn = e.target.closest("button[data-api]");
    if (!btn) return;
    if (btn.dataset.confirm && !window.confirm(btn.dataset.confirm)) return;
    btn.disabled = true;
    const body = btn.dataset.body ? JSON.parse(btn.dataset.body) : {};
    const r = await api(btn.dataset.endpoint, body, btn.dataset.api);
    btn.disabled = false;
    if (r.ok) toast(btn.dataset.success || "Done.");
    else toast(problemText(r), true);
    await refresh();
  });

  // Repeated rows (escalation steps): add from a <template>, remove one.
  let rowCount = 0;
  document.addEventListener("click", (e) => {
    const add = e.target.closest("button[data-add-row]");
    if (add) {
      const template = document.getElementById(add.dataset.addRow);
      const into = document.getElementById(add.dataset.into);
      if (!template || !into) return;
      const row = template.content.firstElementChild.cloneNode(true);
      rowCount += 1;
      row.querySelectorAll("[id], label[for]").forEach((el) => {
        if (el.id) el.id = el.id.replace("NEW", "n" + rowCount);
        if (el.htmlFor) el.htmlFor = el.htmlFor.replace("NEW", "n" + rowCount);
      });
      into.appendChild(row);
      const first = row.querySelector("select, input");
      if (first) first.focus();
      return;
    }
    const remove = e.target.closest("button[data-remove-row]");
    if (remove) {
      const row = remove.closest("[data-row]");
      const form = remove.closest("form");
      if (row) row.remove();
      const next = form && form.querySelector("button[data-add-row]");
      if (next) next.focus();
    }
  });

  // Copy buttons next to a shown-once secret.
  document.addEventListener("click", async (e) => {
    const btn = e.target.closest("button[data-copy]");
    if (!btn) return;
    const field = document.getElementById(btn.dataset.copy);
    if (!field) return;
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
      toast("Copied.");
    } catch (_) {
      toast("Selected: press Ctrl+C (or ⌘C) to copy.");
    }
  });

  // The queue's filter: hides the rows whose text does not contain what was typed.
  const filter = document.getElementById("filter");
  function applyFilter() {
    if (!filter) return;
    const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    document.querySelectorAll("#queue li.row").forEach((row) => {
      const text = row.textContent.toLowerCase();
      row.hidden = !words.every((w) => text.indexOf(w) >= 0);
    });
  }
  if (filter) filter.addEventListener("input", applyFilter);

  // Keyboard shortcuts (listed in the ? dialog). None fires while typing in a field.
  const shortcuts = document.getElementById("shortcuts");
  let returnFocus = null;
  function openShortcuts() {
    if (!shortcuts || shortcuts.open) return;
    returnFocus = document.activeElement;
    shortcuts.showModal();
    const close = shortcuts.querySelector("[data-close-dialog]");
    if (close) close.focus();
  }
  if (shortcuts) {
    shortcuts.addEventListener("close", () => {
      if (returnFocus && document.contains(returnFocus) && returnFocus.focus) returnFocus.focus();
      returnFocus = null;
    });
    shortcuts.addEventListener("click", (e) => {
      if (e.target.closest("[data-close-dialog]") || e.target === shortcuts) shortcuts.close();
    });
  }
  document.addEventListener("click", (e) => {
    if (e.target.closest("button[data-shortcuts]")) openShortcuts();
  });

  // The queue's selection: the row j and k move to, kept by its link across live updates.
  let selected = null;
  function queueLinks() {
    return Array.from(document.querySelectorAll("#queue li.row:not([hidden]) a.rowlink"));
  }
  function select(link) {
    document.querySelectorAll("#queue li.row.selected").forEach((row) => row.classList.remove("selected"));
    if (!link) return;
    selected = link.getAttribute("href");
    link.closest("li.row").classList.add("selected");
    link.focus();
    link.scrollIntoView({ block: "nearest" });
  }
  function moveSelection(step) {
    const links = queueLinks();
    if (!links.length) return;
    const at = links.findIndex((a) => a.getAttribute("href") === selected);
    const next = at < 0 ? (step > 0 ? 0 : links.length - 1) : Math.min(links.length - 1, Math.max(0, at + step));
    select(links[next]);
  }
  function restoreSelection() {
    if (!selected) return;
    const link = queueLinks().find((a) => a.getAttribute("href") === selected);
    if (!link) return;
    link.closest("li.row").classList.add("selected");
    if (document.activeElement === document.body || !document.activeElement) link.focus();
  }

  function typing(el) {
    if (!el || el === document.body) return false;
    return el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName);
  }

  document.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    if (typing(e.target)) return;
    if (shortcuts && shortcuts.open) return; // the dialog has the keyboard (Esc closes it)
    const key = e.key;
    if (key === "?") { e.preventDefault(); openShortcuts(); return; }
    if (page === "queue") {
      if (key === "j" || key === "k") { e.preventDefault(); moveSelection(key === "j" ? 1 : -1); return; }
      if (key === "/" && filter) { e.preventDefault(); filter.focus(); filter.select(); return; }
      if (key === "Enter" && selected && !e.target.closest("a, button")) {
        e.preventDefault();
        location.href = selected;
      }
      return;
    }
    if (page === "search") {
      const box = document.getElementById("q");
      if (key === "/" && box) { e.preventDefault(); box.focus(); box.select(); }
      return;
    }
    if (page === "conversation" && !document.body.classList.contains("gone")) {
      if (key === "c") {
        const claim = document.querySelector('button[data-action="claim"]');
        if (claim && !claim.disabled) { e.preventDefault(); claim.click(); }
        return;
      }
      if (key === "r") {
        const reply = document.getElementById("reply");
        if (reply && !reply.disabled) { e.preventDefault(); reply.focus(); }
      }
    }
  });

  // Attention: which conversations need this reviewer. The page title and the favicon carry the
  // number (waiting, offered or held by me, with unread customer messages); new queue rows are
  // highlighted; with alerts on, a new takeover in my teams, an offer to me or a customer message
  // in a conversation I hold plays a sound and raises a browser notification. Each reviewer reads
  // on their own: an open conversation on screen marks itself read.
  const baseTitle = document.title;
  const favicon = document.getElementById("favicon");
  const alertsButton = document.getElementById("alerts");
  let known = null;
  let attending = false;
  let attendAgain = false;
  function alertsOn() {
    try { return localStorage.getItem("baton.alerts") === "on"; } catch (_) { return false; }
  }
  function showAlertsState() {
    if (!alertsButton) return;
    const on = alertsOn();
    alertsButton.setAttribute("aria-pressed", on ? "true" : "false");
    alertsButton.textContent = on ? "Alerts on" : "Alerts off";
  }
  let audio = null;
  function beep() {
    try {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return;
      audio = audio || new Ctx();
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.12, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.35);
      osc.connect(gain).connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + 0.35);
    } catch (_) { /* no sound available */ }
  }
  if (alertsButton) {
    showAlertsState();
    alertsButton.addEventListener("click", async () => {
      const on = !alertsOn();
      try { localStorage.setItem("baton.alerts", on ? "on" : "off"); } catch (_) { /* private mode */ }
      if (on && window.Notification && Notification.permission === "default") {
        try { await Notification.requestPermission(); } catch (_) { /* refused */ }
      }
      if (on) beep();
      showAlertsState();
      const denied = on && window.Notification && Notification.permission === "denied";
      toast(on ? (denied ? "Alerts on: sound only (this browser blocks notifications for Baton)." : "Alerts on: a sound and a notification when a conversation needs you.") : "Alerts off.");
    });
  }
  function setFavicon(n) {
    if (!favicon) return;
    const label = n > 99 ? "99+" : String(n);
    const badge = n > 0
      ? `<circle cx="22" cy="10" r="10" fill="#c62828"/><text x="22" y="14.5" font-size="${label.length > 2 ? 8 : 12}" text-anchor="middle" fill="#fff" font-family="sans-serif" font-weight="700">${label}</text>`
      : "";
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><path d="M14 2 26 16 14 30 2 16z" fill="#3949ab"/>${badge}</svg>`;
    favicon.href = "data:image/svg+xml," + encodeURIComponent(svg);
  }
  const alertTexts = {
    waiting: "A customer is waiting for a person",
    offered: "A conversation was offered to you",
    message: "New message from a customer you are helping",
  };
  function raise(item, why) {
    if (!alertsOn()) return;
    beep();
    if (!window.Notification || Notification.permission !== "granted") return;
    try {
      const n = new Notification(alertTexts[why], { body: item.session_id, tag: "baton-" + item.session_id });
      n.onclick = () => { window.focus(); location.href = "/inbox/sessions/" + encodeURIComponent(item.session_id); };
    } catch (_) { /* notifications need a service worker here */ }
  }
  async function attention() {
    // A change during a fetch may not be in its answer (opening a conversation fetches the
    // counts while its read mark is still on the way): fetch once more after it.
    if (attending) {
      attendAgain = true;
      return;
    }
    attending = true;
    try {
      const res = await fetch("/v1/inbox/unread", { credentials: "same-origin", cache: "no-store" });
      if (!res.ok) return;
      const u = await res.json();
      document.title = u.needs_you > 0 ? "(" + u.needs_you + ") " + baseTitle : baseTitle;
      document.body.dataset.needsYou = String(u.needs_you);
      setFavicon(u.needs_you);
      const now = new Map(u.items.map((i) => [i.session_id, i]));
      if (known) {
        for (const i of u.items) {
          if (i.session_id === session && document.visibilityState === "visible") continue;
          const before = known.get(i.session_id);
          if (i.state === "offered" && (!before || before.state !== "offered")) raise(i, "offered");
          else if (i.state === "waiting" && !before) raise(i, "waiting");
          else if (i.state === "mine" && (!before || i.messages > before.messages)) raise(i, "message");
        }
      }
      known = now;
    } catch (_) { /* offline: the next change tries again */ } finally {
      attending = false;
      if (attendAgain) {
        attendAgain = false;
        attention();
      }
    }
  }
  // Queue rows that were not there before light up for a moment.
  let seenRows = null;
  function highlightNew() {
    const rows = Array.from(document.querySelectorAll("#queue li.row[data-session]"));
    const ids = new Set(rows.map((r) => r.dataset.session));
    if (seenRows) rows.filter((r) => !seenRows.has(r.dataset.session)).forEach((r) => r.classList.add("fresh"));
    seenRows = ids;
  }
  // The conversation on screen is read up to its last turn.
  let readUpTo = 0;
  async function markRead() {
    if (page !== "conversation" || !sessionPath || document.body.classList.contains("gone")) return;
    if (document.visibilityState !== "visible") return;
    const tl = document.getElementById("timeline");
    const seq = tl ? Number(tl.dataset.lastSeq || 0) : 0;
    if (!seq || seq <= readUpTo) return;
    readUpTo = seq;
    const r = await api(sessionPath + "/read", { seq }, "PUT");
    if (r.ok) attention();
  }
  window.addEventListener("focus", markRead);
  highlightNew();
  markRead();
  if (page === "queue" || page === "conversation") attention();

  // WhatsApp templates after the 24-hour window (src/inbox/templates.rs renders the picker and
  // the team's templates as JSON in #template-data). Choosing a template builds one labelled
  // field per value it takes (header, body {{1}}..{{n}}, URL button endings); every keystroke
  // re-renders the preview as the customer will read it (header, body and footer, blank lines
  // between, the buttons below); sending posts to /template-replies. The listeners are on the
  // document, so the live refresh may swap the picker freely.
  function whatsappTemplates() {
    function templates() {
      const el = document.getElementById("template-data");
      try { return el ? JSON.parse(el.textContent) : []; } catch (_) { return []; }
    }
    function chosen(form) {
      const id = form.querySelector("#template-pick").value;
      return templates().find((t) => t.id === id) || null;
    }
    function fill(text, values) {
      return text.replace(/\{\{(\d+)\}\}/g, (all, n) => {
        const v = values[Number(n) - 1];
        return v ? v : all;
      });
    }
    function valuesOf(form, kind) {
      return Array.from(form.querySelectorAll('[data-tpl="' + kind + '"]')).map((el) => el.value);
    }
    function field(box, kind, i, label, hint, type) {
      const id = "tpl-" + kind + "-" + i;
      const l = document.createElement("label");
      l.htmlFor = id;
      l.textContent = label;
      const input = document.createElement("input");
      input.id = id;
      input.type = type || "text";
      input.required = true;
      input.autocomplete = "off";
      input.dataset.tpl = kind;
      if (hint) input.placeholder = hint;
      box.append(l, input);
    }
    function build(form) {
      const box = form.querySelector("#template-values");
      box.textContent = "";
      const t = chosen(form);
      if (!t) { preview(form); return; }
      if (t.header_parameters > 0) {
        if (t.header_format === "TEXT") field(box, "header", 0, "Header {{1}}", t.header_text);
        else field(box, "header", 0, "Header " + t.header_format.toLowerCase() + " link (https://…)", "https://", "url");
      }
      for (let i = 0; i < t.body_parameters; i++) field(box, "body", i, "Body {{" + (i + 1) + "}}", "");
      t.buttons.forEach((b, i) => {
        if (t.button_takes_value[i]) field(box, "button", i, "Button “" + b.text + "”: end of " + b.url, "");
      });
      if (!box.children.length) {
        const p = document.createElement("p");
        p.className = "muted small";
        p.textContent = "This template takes no values.";
        box.append(p);
      }
      preview(form);
    }
    function preview(form) {
      const out = form.querySelector("#template-preview");
      const t = chosen(form);
      out.textContent = "";
      if (!t) {
        const hint = document.createElement("span");
        hint.className = "muted";
        hint.textContent = "Choose a template to see it here.";
        out.append(hint);
        return;
      }
      const parts = [];
      if (t.header_format === "TEXT" && t.header_text) parts.push(fill(t.header_text, valuesOf(form, "header")));
      parts.push(fill(t.body, valuesOf(form, "body")));
      if (t.footer) parts.push(t.footer);
      const text = document.createElement("p");
      text.className = "template-text";
      text.textContent = parts.join("\n\n");
      if (t.header_format && t.header_format !== "TEXT") {
        const media = document.createElement("p");
        media.className = "muted small";
        media.textContent = "[" + t.header_format.toLowerCase() + "]";
        out.append(media);
      }
      out.append(text);
      if (t.buttons.length) {
        const list = document.createElement("ul");
        list.className = "tpl-buttons";
        t.buttons.forEach((b) => {
          const li = document.createElement("li");
          li.textContent = b.text;
          list.append(li);
        });
        out.append(list);
      }
    }
    document.addEventListener("change", (e) => {
      if (e.target.id !== "template-pick") return;
      build(e.target.form);
    });
    document.addEventListener("input", (e) => {
      const form = e.target.closest && e.target.closest("form[data-template-reply]");
      if (form && e.target.dataset.tpl) preview(form);
    });
    document.addEventListener("submit", async (e) => {
      const form = e.target.closest("form[data-template-reply]");
      if (!form || !sessionPath) return;
      e.preventDefault();
      const t = chosen(form);
      if (!t) return;
      const err = form.querySelector(".formerror");
      if (err) err.textContent = "";
      const button = form.querySelector('button[type="submit"]');
      if (button) button.disabled = true;
      const r = await api(sessionPath + "/template-replies", {
        template_id: t.id,
        parameters: valuesOf(form, "body"),
        header_parameters: valuesOf(form, "header"),
        button_parameters: valuesOf(form, "button"),
      });
      if (button) button.disabled = false;
      if (!r.ok) {
        if (err) err.textContent = problemText(r);
        if (r.status === 404 || r.status === 403) refresh();
        return;
      }
      form.reset();
      build(form);
      toast("Template sent.");
      await refresh();
    });
  }
  whatsappTemplates();

  // Notifications (/inbox/notifications): the reviewer's alert e-mail settings, sent to
  // PUT /v1/me/alerts. The API's field problems (`errors[].field`, e.g. `email`,
  // `quiet_hours.start`) go next to the input whose data-field names them and into a summary
  // that takes the focus; a save is confirmed in a message that takes the focus.
  function alertSettings() {
    const form = document.getElementById("alerts-form");
    if (!form) return;
    const problems = document.getElementById("alerts-problems");
    const saved = document.getElementById("alerts-saved");
    const quietOn = document.getElementById("quiet-on");
    const quietInputs = ["quiet-start", "quiet-end", "quiet-timezone"].map((id) => document.getElementById(id));
    const zone = document.getElementById("quiet-timezone");
    let browserZone = "";
    try { browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (_) { /* none */ }
    // The browser's own zone is offered when none is stored, and every zone it knows is listed.
    if (zone && !zone.value && browserZone) zone.value = browserZone;
    const zones = document.getElementById("timezones");
    if (zones && typeof Intl.supportedValuesOf === "function") {
      const names = Intl.supportedValuesOf("timeZone");
      if (names.indexOf("UTC") < 0) names.push("UTC");
      zones.replaceChildren(...names.map((n) => { const o = document.createElement("option"); o.value = n; return o; }));
    }
    const syncQuiet = () => quietInputs.forEach((el) => { el.disabled = !quietOn.checked; });
    quietOn.addEventListener("change", syncQuiet);
    syncQuiet();

    function clearProblems() {
      problems.hidden = true;
      problems.replaceChildren();
      form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
      form.querySelectorAll(".fielderror").forEach((el) => { el.textContent = ""; });
    }
    function labelOf(el) {
      const label = el.id ? form.querySelector('label[for="' + el.id + '"]') : el.closest("label");
      return label ? label.textContent.trim() : el.name;
    }
    function showProblems(r) {
      const list = (r.data && Array.isArray(r.data.errors)) ? r.data.errors : [];
      const title = document.createElement("p");
      const strong = document.createElement("strong");
      strong.textContent = "Not saved. ";
      title.append(strong, list.length ? "Please correct:" : problemText(r));
      problems.append(title);
      if (list.length) {
        const ul = document.createElement("ul");
        list.forEach((p) => {
          const input = form.querySelector('[data-field="' + p.field + '"]');
          const li = document.createElement("li");
          if (input) {
            input.setAttribute("aria-invalid", "true");
            const here = document.getElementById(input.id + "-error");
            if (here) here.textContent = here.textContent ? here.textContent + " " + p.message : p.message;
            const a = document.createElement("a");
            a.href = "#" + input.id;
            a.textContent = labelOf(input) + ": " + p.message;
            a.addEventListener("click", (e) => { e.preventDefault(); input.focus(); });
            li.append(a);
          } else {
            li.textContent = p.field + ": " + p.message;
          }
          ul.append(li);
        });
        problems.append(ul);
      }
      problems.hidden = false;
      problems.focus();
    }
    function savedText(s) {
      if (!s.enabled) return "Saved. E-mail alerts are off.";
      let text = "Saved. Alerts go to " + s.email;
      if (s.quiet_hours) text += ", except " + s.quiet_hours.start + "–" + s.quiet_hours.end + " (" + s.quiet_hours.timezone + ")";
      text += ".";
      if (!s.mail_configured) text += " This server sends no e-mail until a mail server is set up.";
      return text;
    }

    form.addEventListener("input", () => { saved.hidden = true; });
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearProblems();
      saved.hidden = true;
      const email = form.elements.email.value.trim();
      const body = {
        email: email === "" ? null : email,
        enabled: form.elements.enabled.checked,
        quiet_hours: quietOn.checked ? {
          timezone: zone.value.trim(),
          start: form.elements.start.value,
          end: form.elements.end.value,
        } : null,
      };
      const button = form.querySelector('button[type="submit"]');
      button.disabled = true;
      const r = await api("/v1/me/alerts", body, "PUT");
      button.disabled = false;
      if (!r.ok) { showProblems(r); return; }
      const s = r.data;
      form.elements.email.value = s.email || "";
      form.elements.enabled.checked = s.enabled;
      quietOn.checked = !!s.quiet_hours;
      if (s.quiet_hours) {
        form.elements.start.value = s.quiet_hours.start;
        form.elements.end.value = s.quiet_hours.end;
        zone.value = s.quiet_hours.timezone;
      }
      syncQuiet();
      await refresh();
      saved.textContent = savedText(s);
      saved.hidden = false;
      saved.focus();
    });
  }
  alertSettings();

  // Charts over time show their newest days first when they have to scroll (phones).
  document.querySelectorAll("[data-scroll-end]").forEach((el) => { el.scrollLeft = el.scrollWidth; });

  const timeline = document.getElementById("timeline");
  if (timeline) timeline.scrollTop = timeline.scrollHeight;
  tick();
  setInterval(tick, 15000);
  schedulePendingCheck();
  live();
})();
