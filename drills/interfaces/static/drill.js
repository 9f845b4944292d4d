// warroom live drill page: one script for participants, the facilitator and evaluators.
// Every piece of text from the server goes into the page with textContent, never as HTML.
(function () {
  "use strict";
  const body = document.body;
  const token = body.dataset.token;
  const capability = body.dataset.capability;
  const api = (path) => `/api/${token}/${path}`;
  const $ = (id) => document.getElementById(id);
  const seen = new Set();
  let state = null;
  let unread = 0;
  let lastSeq = 0;
  let clockBase = { now: 0, at: Date.now(), speed: 1, running: false };
  const history = [];
  const baseTitle = document.title;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v; else if (k.startsWith("data-")) node.setAttribute(k, v); else node[k] = v;
    }
    for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  }
  function minutes(t) {
    const total = Math.max(0, Math.round(t * 60));
    const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    return (h ? h + ":" + String(m).padStart(2, "0") : String(m)) + ":" + String(s).padStart(2, "0");
  }
  function notice(text, good) {
    const n = $("notice");
    n.textContent = text;
    n.style.color = good ? "var(--ok)" : "var(--accent)";
  }
  async function post(path, payload) {
    const response = await fetch(api(path), {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload),
    });
    const data = await response.json().catch(() => ({ error: "no answer" }));
    if (!response.ok) { notice(data.error || "refused"); return null; }
    notice("done", true);
    return data;
  }

  // -- the clock ---------------------------------------------------------------------
  function clockNow() {
    if (!clockBase.running) return clockBase.now;
    return clockBase.now + ((Date.now() - clockBase.at) / 60000) * clockBase.speed;
  }
  setInterval(() => { $("clock").textContent = minutes(clockNow()); }, 250);

  // -- events ------------------------------------------------------------------------
  function about(t) {
    return t < 120 ? `${Math.max(1, Math.round(t))} min` : `${(t / 60).toFixed(1)} h`;
  }
  function describe(e) {
    const d = e.detail || {};
    switch (e.kind) {
      case "action": {
        const parts = Object.entries(d).filter(([k]) => k !== "assumed").map(([k, v]) => `${k}: ${v}`);
        return `${e.role.replace(/_/g, " ")} (${e.actor}): ${e.name.replace(/_/g, " ")}${parts.length ? " - " + parts.join(", ") : ""}`;
      }
      case "milestone": return `Milestone: ${e.name.replace(/_/g, " ")}${d.assumed ? " (assumed)" : ""}`;
      case "world":
        if (e.name === "work_started") {
          return d.work === "fix" ? `Permanent fix in progress, about ${about(d.takes)}`
            : `Workaround ${d.workaround.replace(/_/g, " ")} in progress, about ${about(d.takes)}`;
        }
        return d.message || e.name.replace(/_/g, " ");
      case "joined": return d.message || e.name.replace(/_/g, " ");
      case "rejection": return `${e.role.replace(/_/g, " ")}: ${e.name.replace(/_/g, " ")} refused - ${d.reason || ""}`;
      case "control":
        if (e.name === "allow_fix") return `Facilitator allowed the permanent fix: ${d.reason || ""}`;
        return `Clock: ${e.name}${d.speed ? " " + d.speed + "x" : ""}`;
      case "adjudication": return `Facilitator ${e.name} the claimed workaround ${d.workaround}`;
      case "rating": return `Rating ${e.name}: ${d.rating} - ${d.reason}`;
      default: return `${e.kind} ${e.name}`;
    }
  }
  function addInject(e) {
    const d = e.detail || {};
    const item = el("li", { class: unreadClass(), "data-channel": d.channel || "chat", "data-seq": e.seq },
      el("div", {}, el("span", { class: "channel" }, (d.channel || "chat").replace("_", " ")), el("strong", {}, d.subject || "")),
      el("div", { class: "meta" }, `${minutes(e.t)} from ${e.actor || "?"} to ${(d.to || ["everyone"]).join(", ")}`));
    if (d.content) item.append(el("p", {}, d.content));
    if (capability !== "participant") {
      if (d.expect || d.expect_action) item.append(el("p", { class: "meta" }, `Expected: ${d.expect_action || ""} ${d.expect || ""}`));
      if (d.notes) item.append(el("p", { class: "meta" }, `Facilitator notes: ${d.notes}`));
      if (d.type && d.type !== "standard") item.append(el("p", { class: "meta" }, d.type.replace("_", " ")));
    }
    item.addEventListener("click", () => { if (item.classList.contains("unread")) { item.classList.remove("unread"); unread = Math.max(0, unread - 1); showUnread(); } });
    $("inbox").prepend(item);
    unread += 1;
    showUnread();
  }
  function unreadClass() { return "unread"; }
  function showUnread() {
    $("unread").textContent = unread;
    document.title = (unread ? `(${unread}) ` : "") + baseTitle;
  }
  function addTimeline(e) {
    $("timeline").prepend(el("li", { "data-seq": e.seq, "data-kind": e.kind }, el("span", { class: "meta" }, minutes(e.t) + " "), describe(e)));
  }
  function handle(e) {
    if (seen.has(e.seq)) return;  // a reconnect may repeat what we have: show it once
    seen.add(e.seq);
    lastSeq = Math.max(lastSeq, e.seq);
    if (e.kind === "inject" || e.kind === "adhoc_inject") addInject(e); else addTimeline(e);
    if (e.kind === "control" || e.kind === "world" || e.kind === "milestone" || e.kind === "action" || e.kind === "joined") scheduleRefresh();
  }

  // -- state -------------------------------------------------------------------------
  let refreshTimer = null;
  function scheduleRefresh() { clearTimeout(refreshTimer); refreshTimer = setTimeout(refresh, 150); }
  async function refresh() {
    const response = await fetch(api("state"));
    if (!response.ok) return;
    state = await response.json();
    const drill = state.drill;
    clockBase = { now: drill.now, at: Date.now(), speed: drill.speed, running: drill.running };
    $("clock-state").textContent = drill.status === "running" ? `running ${drill.speed}x` : drill.status;
    renderDashboard(state.dashboard);
    if (state.actions && !$("action-select").options.length) buildActions(state.actions);
    if ($("checklist")) renderChecklist(state.checklist || []);
    if ($("roster")) renderRoster(state.roster || []);
    if ($("scoreboard") && state.scoreboard) renderScoreboard(state.scoreboard);
    if ($("objective") && !$("objective").options.length) for (const o of state.objectives || []) $("objective").append(el("option", { value: o.id }, o.title));
    if ($("claims")) renderClaims(state.claims || []);
    if ($("comms") && state.comms_check) renderComms(state.comms_check);
    if ($("webhooks") && state.webhooks && state.webhooks.length) {
      $("webhooks").replaceChildren(...state.webhooks.slice(-10).reverse().map((w) =>
        el("li", { class: w.status === "failed" ? "missed" : w.status === "delivered" ? "met" : "" },
          `${w.channel}: ${w.subject} - ${w.status}${w.error ? " (" + w.error + ")" : ""} after ${w.attempts} attempt(s)`)));
    }
    if ($("scorecard-panel") && drill.status === "ended" && $("scorecard-panel").hidden) showScorecard();
    if ($("hot-wash-panel") && state.hot_wash) renderHotWash(state.hot_wash);
    if ($("next-inject")) $("next-inject").textContent = state.next_inject_at != null ? `Next timed inject at ${minutes(state.next_inject_at)}` : "No timed inject left";
  }
  function renderDashboard(dash) {
    const box = $("dashboard");
    box.replaceChildren();
    if (!dash) { box.append(el("p", { class: "muted" }, "The drill has ended.")); return; }
    for (const i of dash.indicators) {
      box.append(el("span", { class: "indicator" }, el("b", {}, (Math.round(i.value * 10) / 10).toString()), ` ${i.unit} ${i.title}`));
    }
    box.append(el("span", { class: "indicator" }, el("b", {}, Math.round(dash.outage_cost).toLocaleString()), " outage cost so far"));
    history.push({ t: dash.t, v: dash.indicators.length ? dash.indicators[0].value : 0, healthy: dash.indicators.length ? dash.indicators[0].healthy : 100 });
    drawChart();
  }
  function drawChart() {
    const svg = $("chart");
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    if (history.length < 1) return;
    const ns = "http://www.w3.org/2000/svg";
    const tMax = Math.max(10, ...history.map((p) => p.t));
    const vMax = Math.max(1, ...history.map((p) => Math.max(p.v, p.healthy)));
    const x = (t) => 30 + (t / tMax) * 560, y = (v) => 150 - (v / vMax) * 140;
    const path = history.map((p, i) => `${i ? "L" : "M"}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(" ");
    const line = document.createElementNS(ns, "path");
    line.setAttribute("d", path); line.setAttribute("fill", "none"); line.setAttribute("stroke", "#b3261e"); line.setAttribute("stroke-width", "2");
    const axis = document.createElementNS(ns, "path");
    axis.setAttribute("d", "M30,10 L30,150 L590,150"); axis.setAttribute("stroke", "#999"); axis.setAttribute("fill", "none");
    svg.append(axis, line);
  }
  function renderChecklist(rows) {
    const list = $("checklist");
    list.replaceChildren(...rows.map((r) => el("li", { class: r.status === "skipped" ? "todo" : "done" }, `${r.name} (${r.status.replace(/_/g, " ")})`)));
  }
  function renderRoster(rows) {
    $("roster").replaceChildren(...rows.map((r) => el("li", {}, `${r.person} - ${r.role || r.capability} `, el("span", { class: "badge" }, r.seen ? "joined" : "not yet"))));
  }
  function renderScoreboard(board) {
    const table = $("scoreboard");
    table.replaceChildren(el("tr", {}, el("th", {}, "metric"), el("th", {}, "minutes"), el("th", {}, "target")));
    for (const [metric, value] of Object.entries(board.metrics)) {
      const target = board.targets[metric];
      const cls = target == null ? "" : value <= target ? "met" : "missed";
      table.append(el("tr", { class: cls }, el("td", {}, metric.replace(/_/g, " ")), el("td", {}, value.toFixed(1)), el("td", {}, target == null ? "" : String(target))));
    }
  }
  function renderClaims(claims) {
    const list = $("claims");
    if (!claims.length) { list.replaceChildren(el("li", { class: "muted" }, "none")); return; }
    list.replaceChildren(...claims.map((c) => {
      const accept = el("button", {}, "Accept"), reject = el("button", { class: "danger" }, "Reject");
      accept.addEventListener("click", () => post("adjudicate", { claim: c.claim, accept: true }).then(scheduleRefresh));
      reject.addEventListener("click", () => post("adjudicate", { claim: c.claim, accept: false }).then(scheduleRefresh));
      return el("li", {}, `${c.role}: "${c.text}" claims ${c.workaround} `, accept, " ", reject);
    }));
  }

  // Minutes as every scorecard shows them (scenarios.durations.minutes_text): 7, or 8:30.
  function minutesText(value) {
    if (value == null || !Number.isFinite(value)) return "-";
    const seconds = Math.round(Math.abs(value) * 60);
    const sign = value < 0 && seconds ? "-" : "";
    const whole = Math.floor(seconds / 60), rest = seconds % 60;
    return rest === 0 ? `${sign}${whole}` : `${sign}${whole}:${String(rest).padStart(2, "0")}`;
  }

  async function showScorecard() {
    const response = await fetch(api("scorecard"));
    if (!response.ok) return;
    const card = await response.json();
    $("scorecard-panel").hidden = false;
    $("score-headline").textContent = `Score ${card.score}/100 (grade ${card.grade})`;
    const table = $("scorecard");
    table.replaceChildren(el("tr", {}, el("th", {}, "metric"), el("th", {}, "actual"), el("th", {}, "target"), el("th", {}, "")));
    for (const [key, m] of Object.entries(card.metrics)) {
      const mark = m.met === true ? "met" : m.met === false ? "missed" : "";
      table.append(el("tr", { class: mark }, el("td", {}, m.title), el("td", {}, minutesText(m.scored_min)),
        el("td", {}, m.target_min == null ? "" : minutesText(m.target_min)), el("td", {}, mark)));
    }
    // Every point of the score, explained (the scorecard's own sentences).
    $("score-notes").replaceChildren(...card.points.map((p) =>
      el("li", { class: p.points > 0 ? "met" : p.points < 0 ? "missed" : "" }, p.text)));
  }

  function renderHotWash(wash) {
    const panel = $("hot-wash-panel"), form = $("hot-wash-form");
    panel.hidden = false;
    if (wash.given) { form.replaceChildren(el("p", {}, "Thank you: your answers are in the report.")); return; }
    if (form.children.length) return;
    wash.questions.forEach((q, k) => {
      const id = `hot-wash-${k}`;
      form.append(el("label", { htmlFor: id }, q), el("textarea", { id, rows: 2, maxLength: 4000, "data-question": q }));
    });
    form.append(el("button", {}, "Send answers"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const answers = {};
      for (const box of form.querySelectorAll("textarea")) if (box.value.trim()) answers[box.dataset.question] = box.value;
      if (await post("feedback", { answers })) scheduleRefresh();
    });
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
    for (const a of actions) select.append(el("option", { value: a.name }, `${a.name.replace(/_/g, " ")} - ${a.summary}`));
    const render = () => {
      const spec = actions.find((a) => a.name === select.value);
      const box = $("action-fields");
      box.replaceChildren();
      for (const f of spec.fields) {
        let input;
        if (f.choices) {
          // Nothing is chosen for the player: a required choice starts on an empty "choose...".
          input = el("select", { name: f.name });
          input.append(el("option", { value: "" }, f.required ? "choose..." : `(no ${f.name})`));
          for (const c of f.choices) input.append(el("option", { value: c }, f.titles && f.titles[c] ? `${c} - ${f.titles[c]}` : c));
        } else if (f.name === "text") {
          input = el("textarea", { name: f.name, rows: 2, maxLength: 4000, placeholder: f.required ? "text (required)" : "text" });
        } else {
          input = el("input", { name: f.name, placeholder: f.name === "within" ? "e.g. 3d" : f.name, maxLength: 300 });
        }
        input.required = f.required;
        box.append(el("label", { class: "stack" }, f.name.replace(/_/g, " "), input));
      }
    };
    select.addEventListener("change", render);
    render();
    $("action-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const fields = {};
      for (const input of $("action-fields").querySelectorAll("input, select, textarea")) if (input.value) fields[input.name] = input.value;
      const result = await post("action", { action: select.value, fields });
      if (result) { for (const e of result.events) handle(e); for (const t of $("action-fields").querySelectorAll("textarea")) t.value = ""; }
    });
  }

  // -- facilitator and evaluator forms --------------------------------------------------
  for (const button of document.querySelectorAll("[data-control]")) {
    button.addEventListener("click", async () => {
      const name = button.dataset.control;
      if (name === "end" && !confirm("End the drill? It cannot be restarted.")) return;
      const payload = { name };
      if (name === "speed") payload.speed = parseFloat($("speed").value);
      if (name === "allow_fix") payload.reason = $("allow-fix-reason").value;
      const result = await post("control", payload);
      if (result) scheduleRefresh();
    });
  }
  if ($("adhoc-form")) {
    const channel = $("adhoc-form").elements.channel;
    for (const c of ["chat", "alert", "ticket", "phone", "email", "status_page", "dashboard"]) channel.append(el("option", { value: c }, c));
    $("adhoc-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = event.target.elements;
      const to = form.to.value.split(",").map((s) => s.trim()).filter(Boolean);
      if (await post("inject", { subject: form.subject.value, content: form.content.value, channel: form.channel.value, to })) event.target.reset();
    });
  }
  if ($("rate-form")) {
    $("rate-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = event.target.elements;
      if (await post("rate", { objective: form.objective.value, rating: form.rating.value, reason: form.reason.value })) form.reason.value = "";
    });
  }
  window.addEventListener("focus", () => { unread = 0; for (const li of document.querySelectorAll("#inbox li.unread")) li.classList.remove("unread"); showUnread(); });

  // -- the live stream: reconnects by itself and resumes after the last event it saw ----
  function connect() {
    const source = new EventSource(api("stream") + `?after=${lastSeq}`);
    source.addEventListener("open", () => { $("connection").hidden = true; scheduleRefresh(); });
    source.addEventListener("drill", (message) => handle(JSON.parse(message.data)));
    source.addEventListener("comms", () => { if (capability === "participant") $("comms-banner").hidden = false; else scheduleRefresh(); });
    source.addEventListener("error", () => {
      $("connection").hidden = false;
      source.close();
      setTimeout(connect, 1000);
    });
  }
  refresh().then(connect);
  setInterval(() => { if (state && state.drill.running) scheduleRefresh(); }, 5000);
})();
