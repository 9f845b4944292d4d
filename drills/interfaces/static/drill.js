// warroom live drill page: one script for participants, the facilitator and evaluators.
// Every piece of text from the server goes into the page with textContent, never as HTML.
(function () {
  "use strict";
  const body = document.body;
  const token = body.dataset.token;
  const capability = body.dataset.capability;
  const myPerson = body.dataset.person;
  const participant = capability === "participant";
  const api = (path) => `/api/${token}/${path}`;
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  const COLORS = ["#b3261e", "#1a5fb4", "#1e7b34", "#8a4baf", "#b06d00", "#0b7a75", "#5b6375"];
  const CHANNELS = ["chat", "alert", "ticket", "phone", "email", "status_page", "dashboard"];
  const seen = new Set();
  const journal = [];            // every event this page has seen, in order
  const injectsById = new Map(); // inject name -> the latest inject event with that name
  const joinedOnce = new Map();  // roster key -> when first seen joined (kept after the end)
  let state = null;
  let lastSeq = 0;
  let ended = false;
  let source = null;
  let clockBase = { now: 0, at: Date.now(), speed: 1, running: false };
  const baseTitle = document.title;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === "class") node.className = v;
      else if (k.startsWith("data-") || k.startsWith("aria-") || k === "role" || k === "for") node.setAttribute(k, v);
      else node[k] = v;
    }
    for (const child of children) if (child != null) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  }
  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text != null) node.textContent = text;
    return node;
  }
  const words = (s) => String(s || "").replace(/_/g, " ");
  function minutes(t) {
    const total = Math.max(0, Math.round(t * 60));
    const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    return (h ? h + ":" + String(m).padStart(2, "0") : String(m)) + ":" + String(s).padStart(2, "0");
  }
  let noticeTimer = null;
  function notice(text, good) {
    const n = $("notice");
    n.textContent = text;
    n.classList.toggle("good", !!good);
    clearTimeout(noticeTimer);
    if (good) noticeTimer = setTimeout(() => { n.textContent = ""; }, 3000);
  }
  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));   // plain http on a LAN has no randomUUID
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // A POST. `retry` is for actions that carry an idempotency key: after a network error (or
  // a server busy or restarting) the same body, key included, goes again and is journaled once.
  async function post(path, payload, retry) {
    for (let attempt = 0; ; attempt++) {
      let response;
      try {
        response = await fetch(api(path), {
          method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload),
        });
      } catch (err) {
        if (retry && attempt < 5) { notice("Network trouble: sending again..."); await sleep(500 * 2 ** attempt); continue; }
        notice("Not sent: the server cannot be reached.");
        return null;
      }
      if (retry && attempt < 5 && (response.status >= 500 || response.status === 429)) {
        const wait = parseFloat(response.headers.get("Retry-After") || "0") * 1000;
        await sleep(Math.max(wait, 500 * 2 ** attempt));
        continue;
      }
      const data = await response.json().catch(() => ({ error: "no answer" }));
      if (!response.ok) { notice(data.error || "refused"); return null; }
      notice("done", true);
      return data;
    }
  }
  // Enter submits a form from a select or a textarea too (Shift+Enter: a new line).
  function enterSubmits(form) {
    form.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
      const tag = event.target.tagName;
      if (tag === "TEXTAREA" || tag === "SELECT") { event.preventDefault(); form.requestSubmit(); }
    });
  }

  // -- the clock ---------------------------------------------------------------------
  function clockNow() {
    if (!clockBase.running) return clockBase.now;
    return clockBase.now + ((Date.now() - clockBase.at) / 60000) * clockBase.speed;
  }
  setInterval(() => { $("clock").textContent = minutes(clockNow()); }, 250);
  function showStatus(status, speed) {
    body.dataset.status = status;
    $("clock-state").textContent = status === "running" ? `running ${speed}x` : status;
  }

  // -- the end: every page reacts to the stream's end control at once -----------------
  function markEnded() {
    if (ended) return;
    ended = true;
    body.dataset.endedAt = String(Date.now());   // when this page knew (the browser tests measure it)
    clockBase = { now: clockNow(), at: Date.now(), speed: clockBase.speed, running: false };
    showStatus("ended");
    for (const form of document.querySelectorAll("#action-form, #bridge-form, #adhoc-form, #speed-form, #allow-fix-form")) {
      for (const c of form.elements) c.disabled = true;
    }
    for (const b of document.querySelectorAll("[data-control], [data-steer]")) b.disabled = true;
    if ($("scorecard-panel")) showScorecard();
    refresh();
  }

  // -- events ------------------------------------------------------------------------
  function about(t) {
    return t < 120 ? `${Math.max(1, Math.round(t))} min` : `${(t / 60).toFixed(1)} h`;
  }
  function describe(e) {
    const d = e.detail || {};
    switch (e.kind) {
      case "action": {
        if (e.name === "say") return `${words(e.role)} (${e.actor}) on the bridge: ${d.text || ""}${d.about ? " [about " + subjectOf(d.about) + "]" : ""}`;
        const parts = Object.entries(d).filter(([k]) => k !== "assumed").map(([k, v]) => `${k}: ${v}`);
        return `${words(e.role)} (${e.actor}): ${words(e.name)}${parts.length ? " - " + parts.join(", ") : ""}`;
      }
      case "inject": case "adhoc_inject":
        return `${e.kind === "adhoc_inject" ? "Ad-hoc inject" : "Inject"} to ${(d.to || ["everyone"]).map(words).join(", ")} by ${d.channel || "chat"} from ${d.sender || e.actor || "?"}: ${d.subject || ""}`;
      case "milestone": return `Milestone: ${words(e.name)}${d.assumed ? " (assumed)" : ""}`;
      case "world":
        if (e.name === "work_started") {
          return d.work === "fix" ? `Permanent fix in progress, about ${about(d.takes)}`
            : `Workaround ${words(d.workaround)} in progress, about ${about(d.takes)}`;
        }
        return d.message || words(e.name);
      case "joined": return d.message || words(e.name);
      case "rejection": return `${words(e.role)}: ${words(e.name)} refused - ${d.reason || ""}`;
      case "control":
        if (e.name === "allow_fix") return `Facilitator allowed the permanent fix: ${d.reason || ""}`;
        if (d.inject) return `Facilitator: ${e.name} ${d.inject}${d.at != null ? " to minute " + minutes(d.at) : ""}`;
        return `Clock: ${e.name}${d.speed ? " " + d.speed + "x" : ""}`;
      case "adjudication": return `Facilitator ${e.name} the claimed workaround ${d.workaround}`;
      case "rating": return `Rating ${e.name}: ${d.rating} - ${d.reason}`;
      case "mark": return `${e.actor} marked ${d.inject}: ${words(d.verdict)}${d.reason ? " - " + d.reason : ""}`;
      case "feedback": return `${e.actor} gave hot-wash feedback`;
      default: return `${e.kind} ${e.name}`;
    }
  }
  function subjectOf(id) {
    const e = injectsById.get(id);
    if (e) return (e.detail || {}).subject || id;
    return id === "adhoc" ? "an ad-hoc message" : "a message you did not receive";
  }
  function audience(e) { return (e.detail && e.detail.to) || ["everyone"]; }

  function handle(e) {
    if (seen.has(e.seq)) return;  // a reconnect may repeat what we have: show it once
    seen.add(e.seq);
    lastSeq = Math.max(lastSeq, e.seq);
    journal.push(e);
    const inject = e.kind === "inject" || e.kind === "adhoc_inject";
    if (inject) injectsById.set(e.name, e);
    if (participant) {
      if (inject) addInject(e);
      else if (e.kind === "action" && e.name === "say") addSay(e);
      else addTimeline(e);
    } else {
      addTimeline(e);
      if ($("thread-person") && $("thread-person").value) renderThread();
    }
    if (e.kind === "world" && e.name === "service_level") recordLevels(e.t, (e.detail || {}).levels || {});
    if (e.kind === "control" && e.name === "end") { markEnded(); return; }
    if (e.kind === "action" && e.actor) joinedOnce.set(`${e.actor}|${e.role}|participant`, true);
    scheduleRefresh();
  }

  // -- participant: the inbox -----------------------------------------------------------
  let unreadInbox = 0, unreadBridge = 0;
  function showUnread() {
    if ($("unread")) $("unread").textContent = unreadInbox;
    if ($("bridge-unread")) $("bridge-unread").textContent = unreadBridge;
    const total = unreadInbox + unreadBridge;
    document.title = (total ? `(${total}) ` : "") + baseTitle;
  }
  function markRead(item) {
    if (!item.classList.contains("unread")) return;
    item.classList.remove("unread");
    if (item.closest("#inbox")) unreadInbox = Math.max(0, unreadInbox - 1);
    else unreadBridge = Math.max(0, unreadBridge - 1);
    showUnread();
  }
  function addInject(e) {
    const d = e.detail || {};
    const empty = $("inbox").querySelector(".empty");
    if (empty) empty.remove();
    const reply = el("button", { type: "button", class: "quiet", "data-reply": e.name }, "Reply on the bridge");
    const count = el("span", { class: "replies", "data-replies-for": e.name });
    const item = el("li", { class: "unread", "data-channel": d.channel || "chat", "data-seq": e.seq, "data-inject": e.name },
      el("div", {}, el("span", { class: "channel" }, words(d.channel || "chat")), el("strong", {}, d.subject || "")),
      el("div", { class: "meta" }, `${minutes(e.t)} from ${d.sender || e.actor || "?"} to ${audience(e).map(words).join(", ")}`),
      d.content ? el("p", {}, d.content) : null,
      el("div", { class: "row" }, reply, count));
    reply.addEventListener("click", () => {
      markRead(item);
      ensureAboutOption(e.name);
      $("bridge-about").value = e.name;
      $("bridge-text").focus();
    });
    item.addEventListener("click", () => markRead(item));
    item.addEventListener("focusin", () => markRead(item));
    $("inbox").prepend(item);
    ensureAboutOption(e.name);
    unreadInbox += 1;
    showUnread();
  }
  function ensureAboutOption(id) {
    const select = $("bridge-about");
    if (!select || [...select.options].some((o) => o.value === id)) return;
    select.append(el("option", { value: id }, subjectOf(id)));
  }
  if ($("mark-read")) $("mark-read").addEventListener("click", () => {
    for (const li of document.querySelectorAll("#inbox li.unread, #bridge li.unread")) li.classList.remove("unread");
    unreadInbox = unreadBridge = 0;
    showUnread();
  });

  // -- participant: the bridge conversation, threaded under the inject it answers ------
  function threadFor(aboutId) {
    const key = aboutId || "";
    let thread = document.querySelector(`#bridge .thread[data-about="${CSS.escape(key)}"]`);
    if (!thread) {
      thread = el("section", { class: "thread", "data-about": key },
        el("h3", {}, key ? `Re: ${subjectOf(key)}` : "General"), el("ol", {}));
      if (key) $("bridge").append(thread); else $("bridge").prepend(thread);
    }
    return thread.querySelector("ol");
  }
  function addSay(e) {
    const d = e.detail || {};
    const mine = e.actor === myPerson;
    const item = el("li", { class: mine ? "" : "unread", "data-seq": e.seq },
      el("span", { class: "meta" }, `${minutes(e.t)} ${e.actor} (${words(e.role)}): `), d.text || "");
    item.addEventListener("click", () => markRead(item));
    threadFor(d.about).append(item);
    if (d.about) {
      const count = document.querySelector(`#inbox [data-replies-for="${CSS.escape(d.about)}"]`);
      if (count) {
        const n = $("bridge").querySelectorAll(`.thread[data-about="${CSS.escape(d.about)}"] li`).length;
        count.textContent = `${n} ${n === 1 ? "reply" : "replies"} on the bridge`;
      }
    }
    if (!mine) { unreadBridge += 1; showUnread(); }
  }
  if ($("bridge-panel")) {
    $("bridge-panel").addEventListener("focusin", () => {
      for (const li of document.querySelectorAll("#bridge li.unread")) li.classList.remove("unread");
      unreadBridge = 0;
      showUnread();
    });
    const form = $("bridge-form");
    enterSubmits(form);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = $("bridge-text").value.trim();
      if (!text) return;
      const fields = { text };
      if ($("bridge-about").value) fields.about = $("bridge-about").value;
      const result = await post("action", { action: "say", fields, key: newKey() }, true);
      if (result) { for (const e of result.events) handle(e); $("bridge-text").value = ""; }
    });
  }

  function addTimeline(e) {
    const item = el("li", { "data-seq": e.seq, "data-kind": e.kind, "data-role": e.role || "", "data-actor": e.actor || "" },
      el("span", { class: "meta" }, minutes(e.t) + " "), describe(e));
    if (e.kind === "inject" || e.kind === "adhoc_inject") item.dataset.to = audience(e).join(" ");
    item.hidden = !passesFilter(item);
    $("timeline").prepend(item);
  }

  // -- facilitator and evaluator: timeline filters and one participant's thread ---------
  function passesFilter(item) {
    const role = $("filter-role") ? $("filter-role").value : "";
    const person = $("filter-person") ? $("filter-person").value : "";
    if (role) {
      const to = (item.dataset.to || "").split(" ");
      if (item.dataset.role !== role && !to.includes(role) && !to.includes("everyone")) return false;
    }
    if (person && item.dataset.actor !== person) return false;
    return true;
  }
  for (const id of ["filter-role", "filter-person"]) {
    if ($(id)) $(id).addEventListener("change", () => { for (const li of $("timeline").children) li.hidden = !passesFilter(li); });
  }
  function addOption(select, value, label) {
    if (!select || [...select.options].some((o) => o.value === value)) return;
    select.append(el("option", { value }, label));
  }
  function renderThread() {
    const select = $("thread-person");
    const who = (state && state.roster || []).find((r) => r.person === select.value && r.capability === "participant");
    const list = $("thread");
    if (!who) { list.replaceChildren(); return; }
    const rows = journal.filter((e) => ((e.kind === "inject" || e.kind === "adhoc_inject")
      && (audience(e).includes(who.role) || audience(e).includes("everyone"))) || (e.kind === "action" && e.actor === who.person));
    if (!rows.length) { list.replaceChildren(el("li", { class: "muted" }, "Nothing received or done yet.")); return; }
    list.replaceChildren(...rows.map((e) => {
      const d = e.detail || {};
      if (e.kind === "action") {
        const parts = Object.entries(d).filter(([k]) => k !== "text").map(([k, v]) => `${k}: ${v}`);
        return el("li", { class: "out" }, el("div", { class: "meta" }, `${minutes(e.t)} sent by ${who.person}`),
          el("strong", {}, words(e.name)), parts.length ? ` - ${parts.join(", ")}` : "", d.text ? el("p", {}, d.text) : null);
      }
      return el("li", {}, el("div", { class: "meta" }, `${minutes(e.t)} from ${d.sender || e.actor || "?"} by ${words(d.channel || "chat")} to ${audience(e).map(words).join(", ")}`),
        el("strong", {}, d.subject || ""), d.content ? el("p", {}, d.content) : null);
    }));
  }
  if ($("thread-person")) $("thread-person").addEventListener("change", renderThread);

  // -- state -------------------------------------------------------------------------
  let refreshTimer = null;
  function scheduleRefresh() { clearTimeout(refreshTimer); refreshTimer = setTimeout(refresh, 150); }
  async function refresh() {
    let response;
    try { response = await fetch(api("state")); } catch (err) { return; }
    if (!response.ok) return;
    state = await response.json();
    const drill = state.drill;
    if (drill.status === "ended") { if (!ended) markEnded(); }
    else clockBase = { now: drill.now, at: Date.now(), speed: drill.speed, running: drill.running };
    if (!ended) showStatus(drill.status, drill.speed);
    if ($("speed") && document.activeElement !== $("speed") && !ended) $("speed").value = drill.speed;
    renderDashboard(state.dashboard);
    if (state.actions && !$("action-select").options.length) buildActions(state.actions);
    if ($("checklist")) renderChecklist(state.checklist || []);
    if ($("roster")) renderRoster(state.roster || []);
    if ($("scoreboard") && state.scoreboard) renderScoreboard(state.scoreboard);
    if ($("objective") && !$("objective").options.length) for (const o of state.objectives || []) $("objective").append(el("option", { value: o.id }, o.title));
    if ($("msel") && state.msel) renderMsel(state.msel);
    if ($("validation") && state.expected) renderValidation(state.expected);
    if ($("claims") && state.claims) renderClaims(state.claims);
    if ($("comms") && state.comms_check) renderComms(state.comms_check);
    if ($("webhooks") && state.webhooks && state.webhooks.length) {
      $("webhooks").replaceChildren(...state.webhooks.slice(-10).reverse().map((w) =>
        el("li", { class: w.status === "failed" ? "missed" : w.status === "delivered" ? "met" : "" },
          `${w.channel}: ${w.subject} - ${w.status}${w.error ? " (" + w.error + ")" : ""} after ${w.attempts} attempt(s)`)));
    }
    if ($("hot-wash-panel") && state.hot_wash) renderHotWash(state.hot_wash);
    if ($("next-inject")) $("next-inject").textContent = ended ? "" : state.next_inject_at != null ? `Next timed inject at ${minutes(state.next_inject_at)}` : "No timed inject left";
    if (state.roster) {
      const roles = new Set();
      for (const r of state.roster) {
        if (r.capability !== "participant") continue;
        roles.add(r.role);
        addOption($("filter-person"), r.person, `${r.person} (${words(r.role)})`);
        addOption($("thread-person"), r.person, `${r.person} (${words(r.role)})`);
      }
      for (const row of state.msel || []) for (const r of row.to) if (r !== "everyone") roles.add(r);
      for (const role of [...roles].sort()) { addOption($("filter-role"), role, words(role)); addAudience(role); }
    }
  }

  // -- the dashboard: each service's share of users lost over scenario minutes ----------
  const levels = new Map();   // service id -> [[t, lost share]]
  const services = new Map(); // service id -> {name, full_share}
  function recordLevels(t, byService) {
    for (const [sid, lost] of Object.entries(byService)) {
      if (!levels.has(sid)) levels.set(sid, []);
      const points = levels.get(sid);
      points.push([t, lost]);
      points.sort((a, b) => a[0] - b[0]);
    }
    drawChart();
  }
  function renderDashboard(dash) {
    const box = $("dashboard");
    if (!dash) { if (ended) box.replaceChildren(el("p", { class: "muted" }, "The drill has ended.")); return; }
    box.replaceChildren();
    for (const i of dash.indicators) {
      box.append(el("span", { class: "indicator" }, el("b", {}, (Math.round(i.value * 10) / 10).toString()), ` ${i.unit} ${i.title}`));
    }
    box.append(el("span", { class: "indicator" }, el("b", {}, Math.round(dash.outage_cost).toLocaleString()), " outage cost so far"));
    if ($("outage-cost")) $("outage-cost").textContent = `Outage cost so far: ${Math.round(dash.outage_cost).toLocaleString()}`;
    const now = {};
    for (const s of dash.services || []) { services.set(s.id, s); now[s.id] = s.lost_share; }
    recordLevels(dash.t, now);
  }
  function niceStep(span) {
    for (const step of [1, 2, 5, 10, 15, 30, 60, 120, 240, 480, 1440]) if (span / step <= 8) return step;
    return Math.ceil(span / 8);
  }
  function drawChart() {
    const chart = $("chart");
    let g = chart.querySelector("g.plot");
    if (!g) { g = svg("g", { class: "plot" }); chart.append(g); }
    g.replaceChildren();
    const L = 56, R = 628, T = 10, B = 176;
    const tMax = Math.max(10, clockNow(), ...[...levels.values()].flatMap((p) => p.map((q) => q[0])));
    const x = (t) => L + (t / tMax) * (R - L), y = (v) => B - v * (B - T);
    for (const v of [0, 0.25, 0.5, 0.75, 1]) {
      g.append(svg("line", { x1: L, x2: R, y1: y(v), y2: y(v), class: "grid" }));
      g.append(svg("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end", class: "tick" }, `${v * 100}%`));
    }
    const step = niceStep(tMax);
    for (let t = 0; t <= tMax + 1e-9; t += step) {
      g.append(svg("line", { x1: x(t), x2: x(t), y1: B, y2: B + 4, class: "axis" }));
      g.append(svg("text", { x: x(t), y: B + 16, "text-anchor": "middle", class: "tick" }, String(t)));
    }
    g.append(svg("path", { d: `M${L},${T} L${L},${B} L${R},${B}`, class: "axis", fill: "none" }));
    g.append(svg("text", { x: (L + R) / 2, y: 212, "text-anchor": "middle", class: "axis-title" }, "scenario minutes"));
    g.append(svg("text", { x: 14, y: (T + B) / 2, "text-anchor": "middle", class: "axis-title", transform: `rotate(-90 14 ${(T + B) / 2})` }, "% of users lost"));
    const legend = $("legend");
    legend.replaceChildren();
    [...levels.keys()].forEach((sid, k) => {
      const color = COLORS[k % COLORS.length];
      const info = services.get(sid) || {};
      const points = levels.get(sid);
      // A level holds until the next change: a step line, from impact start at its full share.
      let v0 = info.full_share != null ? info.full_share : points[0][1];
      let d = `M${x(0).toFixed(1)},${y(v0).toFixed(1)}`;
      for (const [t, v] of points) d += ` H${x(t).toFixed(1)} V${y(v).toFixed(1)}`;
      d += ` H${x(Math.max(clockNow(), points[points.length - 1][0])).toFixed(1)}`;
      g.append(svg("path", { d, fill: "none", stroke: color, "stroke-width": 2.5, "data-service": sid }));
      const swatch = svg("svg", { viewBox: "0 0 18 10", "aria-hidden": "true" });
      swatch.append(svg("rect", { x: 0, y: 3, width: 18, height: 4, fill: color }));
      const last = points[points.length - 1][1];
      legend.append(el("li", { "data-service": sid }, swatch, `${info.name || sid}${info.critical ? " (critical)" : ""}: ${Math.round(last * 1000) / 10}% lost`));
    });
  }

  function renderChecklist(rows) {
    $("checklist").replaceChildren(...rows.map((r) => el("li", { class: r.status === "skipped" ? "todo" : "done" }, `${r.name} (${words(r.status)})`)));
  }
  function renderRoster(rows) {
    $("roster").replaceChildren(...rows.map((r) => {
      const key = `${r.person}|${r.role}|${r.capability}`;
      if (r.seen) joinedOnce.set(key, r.seen);
      const joined = !!(r.seen || r.joined_at != null || joinedOnce.get(key));
      return el("li", { "data-person": r.person }, `${r.person} - ${words(r.role || r.capability)} `,
        el("span", { class: `badge ${joined ? "verdict-met" : ""}` }, joined ? "joined" : ended ? "not seen" : "not yet"));
    }));
  }
  function renderScoreboard(board) {
    const table = $("scoreboard");
    table.replaceChildren(el("tr", {}, el("th", { scope: "col" }, "metric"), el("th", { scope: "col" }, "minutes"), el("th", { scope: "col" }, "target")));
    for (const [metric, value] of Object.entries(board.metrics)) {
      const target = board.targets[metric];
      const cls = target == null ? "" : value <= target ? "met" : "missed";
      table.append(el("tr", { class: cls }, el("td", {}, words(metric)), el("td", {}, value.toFixed(1)), el("td", {}, target == null ? "" : String(target))));
    }
  }
  function renderClaims(claims) {
    const list = $("claims");
    if (!claims.length) { list.replaceChildren(el("li", { class: "muted" }, "none")); return; }
    list.replaceChildren(...claims.map((c) => {
      const accept = el("button", { type: "button" }, "Accept"), reject = el("button", { type: "button", class: "danger" }, "Reject");
      accept.addEventListener("click", () => post("adjudicate", { claim: c.claim, accept: true }).then(scheduleRefresh));
      reject.addEventListener("click", () => post("adjudicate", { claim: c.claim, accept: false }).then(scheduleRefresh));
      return el("li", {}, `${c.role}: "${c.text}" claims ${c.workaround} `, accept, " ", reject);
    }));
  }

  // -- facilitator: the MSEL, steered inject by inject (rows kept, so focus stays) --------
  function mselTime(r) {
    if (r.sent_at && r.sent_at.length && r.status === "sent") return `sent ${r.sent_at.map(minutes).join(", ")}`;
    if (r.kind === "timed") return r.due != null ? `due ${minutes(r.due)}` : r.at != null ? `at ${minutes(r.at)}` : "";
    if (r.kind === "requested") return `on request (${words(r.requested)})${r.not_before ? ", from " + minutes(r.not_before) : ""}`;
    return `when ${r.when}${r.not_before ? ", from " + minutes(r.not_before) : ""}${r.repeat ? ", every " + r.repeat + " min" : ""}`;
  }
  function steer(name, inject, extra) {
    return post("control", Object.assign({ name, inject }, extra || {})).then((result) => { if (result) scheduleRefresh(); return result; });
  }
  function mselRow(r) {
    const fire = el("button", { type: "button", class: "small", "data-steer": "fire" }, "Fire now");
    const hold = el("button", { type: "button", class: "small", "data-steer": "hold" }, "Hold");
    const skip = el("button", { type: "button", class: "small", "data-steer": "skip" }, "Skip");
    const minute = el("input", { type: "number", min: "0", step: "any", name: "at", "aria-label": `Reschedule ${r.id} to scenario minute`, placeholder: "minute" });
    const move = el("button", { class: "small", "data-steer": "reschedule" }, "Reschedule");
    const form = el("form", {}, minute, move);
    fire.addEventListener("click", () => steer("fire", r.id));
    hold.addEventListener("click", () => steer(hold.dataset.next, r.id));
    skip.addEventListener("click", () => steer("skip", r.id));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (minute.value === "") { notice(`Give the minute to move ${r.id} to`); minute.focus(); return; }
      if (await steer("reschedule", r.id, { at: parseFloat(minute.value) })) minute.value = "";
    });
    const row = el("tr", { "data-inject": r.id },
      el("td", { class: "time" }), el("td", {}, el("strong", {}, r.subject), el("div", { class: "meta" }, `${r.id} · from ${r.sender || "?"}${r.type && r.type !== "standard" ? " · " + words(r.type) : ""}`)),
      el("td", {}, r.to.map(words).join(", ")), el("td", {}, el("span", { class: "channel" }, words(r.channel))),
      el("td", {}, el("span", { class: "badge status" })), el("td", { class: "steer" }, el("div", { class: "row" }, fire, hold, skip), form),
      el("td", { class: "notes" }));
    const notes = row.querySelector(".notes");
    if (r.expect_action || r.expect) notes.append(el("div", {}, el("strong", {}, "Expected: "), [r.expect_action && words(r.expect_action), r.expect].filter(Boolean).join(" - ")));
    if (r.notes) notes.append(el("div", {}, el("strong", {}, "Notes: "), r.notes));
    if (r.objective) notes.append(el("div", { class: "meta" }, `objective: ${words(r.objective)}`));
    return row;
  }
  function renderMsel(rows) {
    const tbody = $("msel").tBodies[0];
    const existing = new Map([...tbody.rows].map((tr) => [tr.dataset.inject, tr]));
    let previous = null;
    for (const r of rows) {
      let tr = existing.get(r.id);
      if (!tr) tr = mselRow(r);
      const wanted = previous ? previous.nextSibling : tbody.firstChild;
      if (tr !== wanted) tbody.insertBefore(tr, wanted);   // moves only what must move (focus survives)
      previous = tr;
      tr.className = `is-${r.status}`;
      tr.dataset.status = r.status;
      tr.cells[0].textContent = mselTime(r);
      if (r.overdue) tr.cells[0].append(el("div", { class: "overdue" }, "overdue"));
      const badge = tr.querySelector(".status");
      badge.textContent = words(r.status);
      badge.className = `badge status status-${r.status}`;
      const done = r.status === "sent" || ended;
      const [fire, hold, skip] = tr.querySelectorAll("[data-steer]");
      fire.disabled = done;
      const parked = r.status === "held" || r.status === "skipped";
      hold.textContent = parked ? "Release" : "Hold";
      hold.dataset.next = parked ? "release" : "hold";
      hold.disabled = done;
      skip.disabled = done || r.status === "skipped";
      for (const c of tr.querySelector("form").elements) c.disabled = done;
      tr.querySelector(".steer").hidden = false;
      for (const part of tr.querySelectorAll(".steer > *")) part.hidden = r.status === "sent";
    }
  }

  // -- evaluators (and the facilitator): the validation queue ---------------------------
  const VERDICTS = [["met", "Met"], ["partly", "Partly"], ["not_met", "Not met"]];
  function validationRow(x) {
    const note = el("input", { name: "note", maxLength: 2000, placeholder: "note (optional)", "aria-label": `Note on ${x.inject} (${x.expect_action})` });
    const form = el("form", { class: "verdicts" }, ...VERDICTS.map(([v, label]) => el("button", { class: "small", value: v, name: "verdict", "data-verdict": v, "aria-pressed": "false" }, label)), note);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const verdict = (event.submitter && event.submitter.value) || "met";
      const result = await post("validate", { inject: x.inject, occurrence: x.occurrence, verdict, note: note.value });
      if (result) { note.value = ""; scheduleRefresh(); if (ended && $("scorecard-panel")) showScorecard(); }
    });
    return el("li", { "data-inject": x.inject, "data-occurrence": x.occurrence },
      el("div", {}, el("strong", {}, x.subject), el("span", { class: "meta" }, ` ${x.inject}${x.occurrence ? " #" + (x.occurrence + 1) : ""} · sent ${minutes(x.delivered_at)} to ${(x.to || []).map(words).join(", ")}`)),
      el("div", {}, "Expected action: ", el("strong", {}, words(x.expect_action)), " ", el("span", { class: "auto meta" })),
      el("div", {}, "Verdict: ", el("span", { class: "badge verdict" }), " ", el("span", { class: "mark meta" })),
      form);
  }
  function renderValidation(rows) {
    const list = $("validation");
    if (!rows.length) return;
    const empty = list.querySelector(":scope > li:not([data-inject])");
    if (empty) empty.remove();
    const existing = new Map([...list.children].map((li) => [`${li.dataset.inject}#${li.dataset.occurrence}`, li]));
    for (const x of rows) {
      const key = `${x.inject}#${x.occurrence}`;
      let li = existing.get(key);
      if (!li) { li = validationRow(x); list.append(li); }
      li.dataset.verdict = x.verdict;
      li.querySelector(".auto").textContent = x.met ? `(done by ${x.by || words(x.by_role) || "?"}${x.response_min != null ? " after " + minutesText(x.response_min) + " min" : ""})` : "(not done yet)";
      const badge = li.querySelector(".verdict");
      badge.textContent = words(x.verdict);
      badge.className = `badge verdict verdict-${x.verdict}`;
      li.querySelector(".mark").textContent = x.mark ? `marked by ${x.mark.by}${x.mark.reason ? ": " + x.mark.reason : ""}` : "automatic (no evaluator verdict yet)";
      for (const b of li.querySelectorAll("[data-verdict]")) b.setAttribute("aria-pressed", String(!!x.mark && x.mark.verdict === b.value));
    }
  }

  // Minutes as every scorecard shows them (scenarios.durations.minutes_text): 7, or 8:30.
  function minutesText(value) {
    if (value == null || !Number.isFinite(value)) return "-";
    const seconds = Math.round(Math.abs(value) * 60);
    const sign = value < 0 && seconds ? "-" : "";
    const whole = Math.floor(seconds / 60), rest = seconds % 60;
    return rest === 0 ? `${sign}${whole}` : `${sign}${whole}:${String(rest).padStart(2, "0")}`;
  }

  let scoring = null;
  function showScorecard() {
    if (scoring) return scoring;
    scoring = (async () => {
      $("scorecard-panel").hidden = false;
      $("score-status").textContent = "Scoring... (simulating the baseline and weighing every metric)";
      let card = null;
      for (let attempt = 0; attempt < 5 && !card; attempt++) {
        try {
          const response = await fetch(api("scorecard"));
          if (response.ok) card = await response.json();
          else await sleep(500);
        } catch (err) { await sleep(1000); }
      }
      scoring = null;
      if (!card) { $("score-status").textContent = ""; $("score-headline").textContent = "The scorecard could not be fetched; reload to try again."; return; }
      renderScorecard(card);
    })();
    return scoring;
  }
  function renderScorecard(card) {
    $("score-status").textContent = "";
    $("score-headline").textContent = `Score ${card.score}/100 (grade ${card.grade})`;
    const table = $("scorecard");
    table.replaceChildren(el("tr", {}, el("th", { scope: "col" }, "metric"), el("th", { scope: "col" }, "actual"), el("th", { scope: "col" }, "target"), el("th", { scope: "col" }, "result")));
    for (const m of Object.values(card.metrics)) {
      const mark = m.met === true ? "met" : m.met === false ? "missed" : "";
      table.append(el("tr", { class: mark }, el("td", {}, m.title), el("td", {}, minutesText(m.scored_min)),
        el("td", {}, m.target_min == null ? "" : minutesText(m.target_min)), el("td", {}, mark)));
    }
    const expected = $("score-expected");
    expected.replaceChildren(el("tr", {}, el("th", { scope: "col" }, "inject"), el("th", { scope: "col" }, "expected"), el("th", { scope: "col" }, "verdict"), el("th", { scope: "col" }, "by")));
    for (const x of card.expected_actions || []) {
      expected.append(el("tr", { "data-inject": x.inject }, el("td", {}, x.subject), el("td", {}, words(x.expect_action)),
        el("td", {}, el("span", { class: `badge verdict-${x.verdict}` }, words(x.verdict))), el("td", {}, x.mark ? `${x.mark.by} (evaluator)` : x.by || "")));
    }
    // Every point of the score, explained (the scorecard's own sentences).
    $("score-notes").replaceChildren(...card.points.map((p) =>
      el("li", { class: p.points > 0 ? "met" : p.points < 0 ? "missed" : "" }, p.text)));
    body.dataset.scoredAt = String(Date.now());
  }

  function renderHotWash(wash) {
    const panel = $("hot-wash-panel"), form = $("hot-wash-form");
    const first = panel.hidden;
    panel.hidden = false;
    if (wash.given) { form.replaceChildren(el("p", {}, "Thank you: your answers are in the report.")); return; }
    if (form.children.length) return;
    wash.questions.forEach((q, k) => {
      const id = `hot-wash-${k}`;
      form.append(el("label", { for: id }, q), el("textarea", { id, rows: 2, maxLength: 4000, "data-question": q }));
    });
    form.append(el("button", {}, "Send answers"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const answers = {};
      for (const box of form.querySelectorAll("textarea")) if (box.value.trim()) answers[box.dataset.question] = box.value;
      if (await post("feedback", { answers })) scheduleRefresh();
    });
    if (first) panel.scrollIntoView({ block: "start" });
  }
  function renderComms(check) {
    const rows = check.people.map((p) => el("li", { class: p.confirmed ? "met" : "missed" },
      `${p.person} (${p.role}): ${p.confirmed ? "confirmed" : "waiting"}`));
    for (const w of check.webhooks) rows.push(el("li", { class: w.status === "failed" ? "missed" : w.status === "delivered" ? "met" : "" },
      `webhook ${w.channel}: ${w.status}${w.error ? " (" + w.error + ")" : ""}`));
    $("comms").replaceChildren(...rows);
  }
  if ($("comms-check")) $("comms-check").addEventListener("click", async () => {
    if (await post("commscheck", {})) { scheduleRefresh(); setTimeout(scheduleRefresh, 2000); setTimeout(scheduleRefresh, 6000); }
  });
  $("comms-confirm").addEventListener("click", async () => { if (await post("confirm", {})) $("comms-banner").hidden = true; });

  // -- participant actions -------------------------------------------------------------
  function buildActions(actions) {
    const select = $("action-select");
    // Saying something is the bridge panel's job.
    const offered = actions.filter((a) => a.name !== "say");
    for (const a of offered) select.append(el("option", { value: a.name }, `${words(a.name)} - ${a.summary}`));
    const render = () => {
      const spec = offered.find((a) => a.name === select.value);
      const box = $("action-fields");
      box.replaceChildren();
      for (const f of spec.fields) {
        let input;
        const id = `field-${f.name}`;
        if (f.choices) {
          // Nothing is chosen for the player: a required choice starts on an empty "choose...".
          input = el("select", { name: f.name, id });
          input.append(el("option", { value: "" }, f.required ? "choose..." : `(no ${words(f.name)})`));
          for (const c of f.choices) input.append(el("option", { value: c }, f.titles && f.titles[c] ? `${c} - ${f.titles[c]}` : c));
        } else if (f.name === "text") {
          input = el("textarea", { name: f.name, id, rows: 2, maxLength: 4000 });
        } else {
          input = el("input", { name: f.name, id, placeholder: f.name === "within" ? "e.g. 3d" : "", maxLength: 300 });
        }
        input.required = f.required;
        box.append(el("label", { for: id }, `${words(f.name)}${f.required ? " (required)" : ""}`), input);
      }
    };
    select.addEventListener("change", render);
    render();
    const form = $("action-form");
    enterSubmits(form);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const fields = {};
      for (const input of $("action-fields").querySelectorAll("input, select, textarea")) if (input.value) fields[input.name] = input.value;
      const result = await post("action", { action: select.value, fields, key: newKey() }, true);
      if (result) { for (const e of result.events) handle(e); for (const t of $("action-fields").querySelectorAll("textarea")) t.value = ""; }
    });
  }

  // -- facilitator and evaluator forms --------------------------------------------------
  for (const button of document.querySelectorAll("button[data-control]")) {
    if (button.form) continue;   // speed and allow_fix go through their forms (Enter works)
    button.addEventListener("click", async () => {
      const name = button.dataset.control;
      if (name === "end" && !confirm("End the drill? It cannot be restarted.")) return;
      const result = await post("control", { name });
      if (result) { for (const e of result.events || []) handle(e); scheduleRefresh(); }
    });
  }
  if ($("speed-form")) $("speed-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (await post("control", { name: "speed", speed: parseFloat($("speed").value) })) scheduleRefresh();
  });
  if ($("allow-fix-form")) $("allow-fix-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (await post("control", { name: "allow_fix", reason: $("allow-fix-reason").value })) { $("allow-fix-reason").value = ""; scheduleRefresh(); }
  });
  function addAudience(role) {
    const box = $("adhoc-to");
    if (!box || box.querySelector(`input[value="${CSS.escape(role)}"]`)) return;
    const id = `adhoc-to-${role}`;
    box.append(el("label", { for: id }, el("input", { type: "checkbox", id, value: role, name: "to" }), ` ${words(role)}`));
  }
  if ($("adhoc-form")) {
    const form = $("adhoc-form");
    for (const c of CHANNELS) form.elements.channel.append(el("option", { value: c }, words(c)));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const f = form.elements;
      const to = [...form.querySelectorAll("#adhoc-to input:checked")].map((c) => c.value);
      const payload = { subject: f.subject.value, content: f.content.value, channel: f.channel.value, to };
      if (f.sender.value.trim()) payload.sender = f.sender.value.trim();
      if (await post("inject", payload)) { f.subject.value = ""; f.content.value = ""; }
    });
  }
  if ($("rate-form")) {
    $("rate-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = event.target.elements;
      if (await post("rate", { objective: form.objective.value, rating: form.rating.value, reason: form.reason.value })) form.reason.value = "";
    });
  }

  // -- the live stream: reconnects by itself and resumes after the last event it saw ----
  function connect() {
    source = new EventSource(api("stream") + `?after=${lastSeq}`);
    source.addEventListener("open", () => { $("connection").hidden = true; scheduleRefresh(); });
    source.addEventListener("drill", (message) => handle(JSON.parse(message.data)));
    source.addEventListener("comms", () => { if (participant) $("comms-banner").hidden = false; else scheduleRefresh(); });
    source.addEventListener("error", () => {
      source.close();
      if (ended) return;   // nothing more will come
      $("connection").hidden = false;
      setTimeout(connect, 1000);
    });
  }
  refresh().then(connect);
  setInterval(() => { if (state && state.drill.running && !ended) scheduleRefresh(); }, 5000);
  setInterval(() => { if (!ended && clockBase.running) drawChart(); }, 2000);
})();
