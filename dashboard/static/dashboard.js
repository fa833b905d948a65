// orderlog dashboard: polls GET /api/v1/dashboard every 2 s with the bearer
// token from #token=… (kept in sessionStorage, never sent in a URL) and
// draws the numbers; ?order=ID shows that order's history instead.
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

async function getJSON(path) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const resp = await fetch(path, { headers: { Authorization: "Bearer " + token }, cache: "no-store" });
  const body = await resp.json().catch(() => ({}));
  if (!resp.ok) {
    const err = new Error((body && body.message) || resp.statusText);
    err.status = resp.status;
    throw err;
  }
  return body;
}

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
      el("td", {}, el("a", { href: "/dashboard?order=" + encodeURIComponent(o.orderId) }, o.orderId)),
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

function render(s) {
  $("total-orders").textContent = s.totalOrders;
  $("lag").textContent = s.projectionLag === null ? "n/a" : s.projectionLag;
  $("dlq").textContent = s.dlqSize === null ? "n/a" : s.dlqSize;
  $("problems").replaceChildren(...s.problems.map((p) => el("li", {}, p)));
  renderStatuses(s.ordersByStatus);
  renderChart(s.eventsPerMinute);
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

async function loadOverview() {
  render(await getJSON("/api/v1/dashboard"));
  $("overview").hidden = false;
}

async function loadHistory(id) {
  const body = await getJSON("/api/v1/orders/" + encodeURIComponent(id) + "/events");
  $("history-id").textContent = id;
  replaceRows($("events").tBodies[0], body.events.map((e) =>
    el("tr", { "data-seq": e.sequenceNumber },
      el("td", { class: "num" }, e.sequenceNumber), el("td", {}, time(e.timestamp)),
      el("td", {}, e.eventType), el("td", {}, e.userId || e.serviceId || ""),
      el("td", { class: "data" }, JSON.stringify(e.data)))));
  $("history").hidden = false;
}

function begin() {
  if (!takeToken()) {
    showLogin();
    return;
  }
  $("login").hidden = true;
  const id = new URLSearchParams(location.search).get("order");
  poll(id ? () => loadHistory(id) : loadOverview);
}

function init() {
  $("login-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
    begin();
  });
  begin();
}

document.addEventListener("DOMContentLoaded", init, { once: true });
