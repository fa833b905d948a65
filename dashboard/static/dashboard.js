// orderlog dashboard: polls GET /api/v1/dashboard and /api/v1/attention
// every 2 s with the bearer token from #token=… (kept in sessionStorage,
// never sent in a URL) and draws the numbers and the needs-attention list;
// ?order=ID shows that order, its support actions and its history instead.
"use strict";

const POLL_MS = 2000;
const TOKEN_KEY = "orderlog.dashboard.token";
const SVG = "http://www.w3.org/2000/svg";
const STATUSES = ["DRAFT", "PLACED", "CONFIRMED", "SHIPPED", "DELIVERED", "CANCELLED", "RETURN_REQUESTED", "RETURNED"];

function $(id) { return document.getElementById(id); }

function takeToken() {
  const m = location.hash.match(/(?:^#|&)token=([^&]+)/);
  if (m) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function setState(text, cls) {
  const s = $("state");
  s.textContent = text;
  s.className = "state " + (cls || "");
}

async function call(method, path, body) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers = { Authorization: "Bearer " + token };
  const init = { method, headers, cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    headers["Idempotency-Key"] = newID(); // a retry of this click would reuse it
    init.body = JSON.stringify(body);
  }
  const resp = await fetch(path, init);
  const out = await resp.json().catch(() => ({}));
  if (!resp.ok) {
    const err = new Error((out && out.message) || resp.statusText);
    err.status = resp.status;
    err.code = out && out.code;
    err.field = out && out.field;
    throw err;
  }
  return out;
}

function getJSON(path) { return call("GET", path); }

function newID() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// age renders how long ago since was, at now: "45s", "12m", "3h 5m", "2d 4h".
function age(since, now) {
  const s = Math.max(0, Math.floor((new Date(now) - new Date(since)) / 1000));
  if (s < 60) return s + "s";
  const m = Math.floor(s / 60);
  if (m < 60) return m + "m";
  const h = Math.floor(m / 60);
  if (h < 48) return h + "h " + (m % 60) + "m";
  return Math.floor(h / 24) + "d " + (h % 24) + "h";
}

function orderLink(id) {
  return el("a", { href: "/dashboard?order=" + encodeURIComponent(id) }, id);
}

function kindBadge(kind) { return el("span", { class: "kind kind-" + kind }, kind); }

const fractionDigits = {};
function money(amount, currency) {
  if (!(currency in fractionDigits)) {
    try {
      fractionDigits[currency] = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits;
    } catch (e) {
      fractionDigits[currency] = 2;
    }
  }
  const d = fractionDigits[currency];
  return (amount / Math.pow(10, d)).toFixed(d) + " " + currency;
}

function time(t) { return t ? new Date(t).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z") : ""; }

function replaceRows(tbody, rows) { tbody.replaceChildren(...rows); }

function renderStatuses(byStatus) {
  const rank = (s) => (STATUSES.indexOf(s) + STATUSES.length + 1) % (STATUSES.length + 1); // unknown last
  const entries = Object.entries(byStatus).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
  replaceRows($("statuses").tBodies[0], entries.map(([status, n]) =>
    el("tr", {}, el("th", {}, status), el("td", { class: "num", "data-status": status }, n))));
}

function renderRevenue(revenue) {
  const rows = revenue.slice().reverse().map((r) =>
    el("tr", { "data-currency": r.currency, "data-day": r.day },
      el("td", {}, r.day), el("td", {}, r.currency),
      el("td", { class: "num", "data-amount": r.amount }, money(r.amount, r.currency))));
  if (rows.length === 0) rows.push(el("tr", {}, el("td", { colspan: 3 }, "no payments captured yet")));
  replaceRows($("revenue").tBodies[0], rows);
}

function renderRecent(orders) {
  const rows = orders.map((o) =>
    el("tr", { "data-order-id": o.orderId },
      el("td", {}, orderLink(o.orderId)),
      el("td", {}, o.customerId), el("td", { "data-status": o.status }, o.status),
      el("td", { class: "num" }, money(o.total, o.currency)), el("td", { class: "num" }, o.version),
      el("td", {}, time(o.updatedAt))));
  if (rows.length === 0) rows.push(el("tr", {}, el("td", { colspan: 6 }, "no orders yet")));
  replaceRows($("recent").tBodies[0], rows);
}

// renderChart draws one bar per minute, an axis and the scale, as SVG.
function renderChart(minutes) {
  const W = 720, H = 180, left = 36, bottom = 20, top = 10;
  const max = Math.max(1, ...minutes.map((m) => m.total));
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("role", "img");
  const total = minutes.reduce((s, m) => s + m.total, 0);
  svg.setAttribute("aria-label", `events per minute, ${total} in the last ${minutes.length} minutes`);
  const add = (tag, attrs, text) => {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    svg.append(e);
    return e;
  };
  const plotH = H - top - bottom, slot = (W - left) / Math.max(1, minutes.length);
  minutes.forEach((m, i) => {
    if (m.total === 0) return;
    const h = (m.total / max) * plotH;
    const bar = add("rect", { class: "bar", x: (left + i * slot + 1).toFixed(1), y: (top + plotH - h).toFixed(1),
      width: Math.max(1, slot - 2).toFixed(1), height: h.toFixed(1), "data-minute": m.minute, "data-total": m.total });
    const title = document.createElementNS(SVG, "title");
    title.textContent = `${time(m.minute).slice(0, 16)}: ${m.total} events`;
    bar.append(title);
  });
  add("line", { class: "axis", x1: left, y1: top + plotH, x2: W, y2: top + plotH });
  add("line", { class: "axis", x1: left, y1: top, x2: left, y2: top + plotH });
  add("text", { x: left - 4, y: top + 8, "text-anchor": "end" }, max);
  add("text", { x: left - 4, y: top + plotH, "text-anchor": "end" }, 0);
  if (minutes.length > 0) {
    add("text", { x: left, y: H - 4 }, time(minutes[0].minute).slice(11, 16));
    add("text", { x: W, y: H - 4, "text-anchor": "end" }, time(minutes[minutes.length - 1].minute).slice(11, 16));
  }
  $("chart").replaceChildren(svg);
}

// renderLine draws one series of the charts as an SVG polyline over the
// window, a gap where a point has no value (null), with its scale.
function renderLine(div, charts) {
  const key = div.dataset.key;
  const W = 360, H = 140, left = 40, bottom = 18, top = 8;
  const pts = charts.points;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("role", "img");
  const add = (tag, attrs, text) => {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    svg.append(e);
    return e;
  };
  const values = pts.map((p) => p[key]).filter((v) => v !== null && v !== undefined);
  const max = Math.max(1, ...values);
  const end = pts.length ? new Date(pts[pts.length - 1].at).getTime() : Date.now();
  const span = charts.windowSeconds * 1000;
  const x = (t) => left + ((new Date(t).getTime() - (end - span)) / span) * (W - left);
  const y = (v) => top + (1 - v / max) * (H - top - bottom);
  let run = [];
  const flush = () => {
    if (run.length > 0) add("polyline", { class: "line", points: run.join(" ") });
    if (run.length === 1) { // a lone point: a line of one point shows nothing
      const [cx, cy] = run[0].split(",");
      add("circle", { class: "dot", cx, cy, r: 2.5 });
    }
    run = [];
  };
  for (const p of pts) {
    const v = p[key];
    if (v === null || v === undefined) { flush(); continue; }
    run.push(x(p.at).toFixed(1) + "," + y(v).toFixed(1));
  }
  flush();
  add("line", { class: "axis", x1: left, y1: H - bottom, x2: W, y2: H - bottom });
  add("line", { class: "axis", x1: left, y1: top, x2: left, y2: H - bottom });
  const fmt = (v) => (v >= 100 ? Math.round(v) : Math.round(v * 10) / 10);
  add("text", { x: left - 4, y: top + 8, "text-anchor": "end" }, fmt(max));
  add("text", { x: left - 4, y: H - bottom, "text-anchor": "end" }, 0);
  add("text", { x: left, y: H - 4 }, "-" + Math.round(span / 60000) + " min");
  add("text", { x: W, y: H - 4, "text-anchor": "end" }, "now");
  const last = values.length ? values[values.length - 1] : null;
  svg.setAttribute("aria-label", `${key}: ${values.length} points, last ${last === null ? "none" : fmt(last)}`);
  div.dataset.points = values.length;
  div.dataset.last = last === null ? "" : last;
  div.replaceChildren(svg);
}

function renderCharts(charts) {
  const divs = document.querySelectorAll(".line-chart");
  if (!charts) {
    $("charts-note").textContent = "(no sampler in this API process: see the problems above)";
    divs.forEach((d) => { d.replaceChildren(); d.dataset.points = 0; });
    return;
  }
  $("charts-note").textContent = `(sampled every ${charts.intervalSeconds} s by this API process since ${time(charts.since)})`;
  divs.forEach((d) => renderLine(d, charts));
}

function render(s) {
  $("total-orders").textContent = s.totalOrders;
  $("lag").textContent = s.projectionLag === null ? "n/a" : s.projectionLag;
  $("dlq").textContent = s.dlqSize === null ? "n/a" : s.dlqSize;
  for (const u of document.querySelectorAll(".queue-unit")) {
    u.textContent = s.queueUnit === "offsets" ? "offsets, markers included" : "records";
  }
  $("problems").replaceChildren(...s.problems.map((p) => el("li", {}, p)));
  renderStatuses(s.ordersByStatus);
  renderChart(s.eventsPerMinute);
  renderCharts(s.charts);
  renderRevenue(s.revenue);
  renderRecent(s.recentOrders);
  $("updated").textContent = "as of " + time(s.at);
  document.body.dataset.snapshotAt = s.at;
}

function showLogin(message) {
  $("overview").hidden = true;
  $("history").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
  setState("no token", "error");
}

async function poll(load) {
  try {
    await load();
    setState("live", "live");
  } catch (e) {
    if (e.status === 401 || e.status === 403) {
      showLogin(e.message);
      return; // stop polling until a new token is given
    }
    setState("error: " + e.message, "error");
  }
  setTimeout(() => poll(load), POLL_MS);
}

// renderAttention draws the needs-attention list: one row per order, its
// most urgent reason first (the others follow in the same cell).
function renderAttention(list) {
  $("attention-note").hidden = true;
  $("attention-total").textContent = list.total > list.orders.length ?
    `(${list.orders.length} of ${list.total}, oldest first)` : `(${list.total})`;
  const rows = list.orders.map((o) => {
    const r = o.reasons[0];
    return el("tr", { "data-order-id": o.orderId, "data-kind": r.kind },
      el("td", {}, orderLink(o.orderId)), el("td", {}, o.customerId), el("td", {}, o.status),
      el("td", {}, ...o.reasons.map((x) => kindBadge(x.kind))),
      el("td", {}, o.reasons.map((x) => (x.code ? x.code + ": " : "") + x.reason).join("; ")),
      el("td", { class: "num", title: time(r.since) }, age(r.since, list.at)));
  });
  if (rows.length === 0) rows.push(el("tr", {}, el("td", { colspan: 6 }, "nothing needs attention")));
  replaceRows($("attention").tBodies[0], rows);
}

async function loadOverview() {
  render(await getJSON("/api/v1/dashboard"));
  try {
    renderAttention(await getJSON("/api/v1/attention"));
  } catch (e) {
    if (e.status !== 403) throw e;
    replaceRows($("attention").tBodies[0], []);
    $("attention-total").textContent = "";
    $("attention-note").textContent = "The needs-attention list wants an admin token (it quotes admin notes).";
    $("attention-note").hidden = false;
  }
  $("overview").hidden = false;
}

function summaryRows(v) {
  const t = v.totals || {};
  const rows = [
    ["status", v.status], ["version", v.version], ["customer", v.customerId],
    ["total", money(t.totalAmount || 0, v.currency)],
    ["payment", [v.payment.status || "none", "captured " + money(v.payment.captured, v.currency),
      "refunded " + money(v.payment.refunded, v.currency)].join(", ")],
    ["approval", v.approval.pending ? "pending" : v.approval.approvedBy ? "approved by " + v.approval.approvedBy : "not needed"],
    ["flags", (v.flags || []).map((f) => f.code + (f.approved ? " (approved)" : f.requiresApproval ? " (holds)" : "")).join(", ") || "none"],
    ["updated", time(v.updatedAt)],
  ];
  for (const n of v.notes || []) rows.push([n.admin ? "admin note" : "customer note", time(n.at) + " " + (n.author || "") + ": " + n.text]);
  return rows;
}

function renderOrder(v, items) {
  $("history-id").textContent = v.orderId;
  $("summary").replaceChildren(...summaryRows(v).flatMap(([k, val]) =>
    [el("dt", {}, k), el("dd", { "data-field": k }, val)]));
  document.body.dataset.orderVersion = v.version;
  document.body.dataset.orderStatus = v.status;
  const mine = items.filter((o) => o.orderId === v.orderId);
  $("order-attention").replaceChildren(...mine.flatMap((o) => o.reasons.map((r) =>
    el("li", { "data-kind": r.kind }, kindBadge(r.kind), " ", (r.code ? r.code + ": " : "") + r.reason))));
}

// shownVersion is the order version on the page: a poll that was in
// flight during an action and answers an older version is not drawn.
let shownVersion = 0;

async function loadOrder(id) {
  const path = "/api/v1/orders/" + encodeURIComponent(id);
  const [v, body] = await Promise.all([getJSON(path), getJSON(path + "/events")]);
  let items = [];
  try {
    items = (await getJSON("/api/v1/attention?order=" + encodeURIComponent(id))).orders;
  } catch (e) {
    if (e.status !== 403) throw e;
  }
  if (v.version < shownVersion) return;
  shownVersion = v.version;
  renderOrder(v, items);
  replaceRows($("events").tBodies[0], body.events.map((e) =>
    el("tr", { "data-seq": e.sequenceNumber },
      el("td", { class: "num" }, e.sequenceNumber), el("td", {}, time(e.timestamp)),
      el("td", {}, e.eventType), el("td", {}, e.userId || e.serviceId || ""),
      el("td", { class: "data" }, JSON.stringify(e.data)))));
  $("history").hidden = false;
}

// actions maps each form of the order page to its endpoint and body; the
// order's page then shows the API's answer, refusals included.
const actions = {
  "approve-form": { path: "approval", label: "approved", body: (f) => ({ comment: f.comment.value.trim() }) },
  "flag-form": { path: "flags", label: "flagged",
    body: (f) => ({ code: f.code.value.trim(), reason: f.reason.value.trim(), requiresApproval: f.requiresApproval.checked }) },
  "note-form": { path: "notes", label: "note added", body: (f) => ({ kind: "admin", text: f.text.value.trim() }) },
  "cancel-form": { path: "cancellation", label: "cancellation requested", body: (f) => ({ reason: f.reason.value.trim() }) },
  "refund-form": { path: "refunds", label: "refund requested",
    body: (f) => ({ amount: Number(f.amount.value), reason: f.reason.value.trim() }) },
};

function showResult(text, ok) {
  const r = $("action-result");
  r.textContent = text;
  r.className = "action-result " + (ok ? "ok" : "error");
  r.dataset.state = ok ? "ok" : "error";
}

async function act(id, form, a) {
  const buttons = form.querySelectorAll("button");
  buttons.forEach((b) => { b.disabled = true; });
  $("action-result").dataset.state = "pending";
  try {
    const v = await call("POST", "/api/v1/orders/" + encodeURIComponent(id) + "/" + a.path, a.body(form));
    form.reset();
    await loadOrder(id); // the answer came once the projection had it: this read shows it
    showResult(`${a.label}: version ${v.version}, status ${v.status}`, true);
  } catch (e) {
    const code = e.code ? e.code + ": " : "";
    const field = e.field ? ` (field ${e.field})` : "";
    showResult(`refused: ${code}${e.message}${field}`, false);
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}

function begin() {
  if (!takeToken()) {
    showLogin();
    return;
  }
  $("login").hidden = true;
  const id = new URLSearchParams(location.search).get("order");
  poll(id ? () => loadOrder(id) : loadOverview);
}

function init() {
  const id = new URLSearchParams(location.search).get("order");
  for (const [formID, a] of Object.entries(actions)) {
    $(formID).addEventListener("submit", (ev) => {
      ev.preventDefault();
      act(id, ev.target, a);
    });
  }
  $("login-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
    begin();
  });
  begin();
}

document.addEventListener("DOMContentLoaded", init, { once: true });
