// Renders GET state; every value goes in as text (textContent), never as HTML.
// URLs are relative, so the page also works behind a path prefix (jupyter-server-proxy's /proxy/8095/).
// One poll at a time: the next starts only after the last answered, with backoff while the server struggles.
"use strict";

const $ = (sel) => document.querySelector(sel);
const POLL_MS = 300, MAX_POLL_MS = 5000, POLL_TIMEOUT_MS = 8000, CHART_EVERY_MS = 500;
let lastState = "";
let pollDelay = POLL_MS;
let polling = null;
let pollAgain = false;
let chartAt = 0;
let chartTimer = null;

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}

async function post(path, fields) {
  const response = await fetch(path, { method: "POST", body: new URLSearchParams(fields) });
  const answer = await response.json();
  if (!response.ok) throw new Error(answer.error || response.statusText);
  return answer;
}

function formFields(form) {
  return Object.fromEntries(new FormData(form).entries());
}

function wire(formId, path, after) {
  const form = $("#" + formId);
  const error = document.querySelector(`[data-for="${formId}"]`);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (error) error.textContent = "";
    try {
      await post(path, formFields(form));
      if (after) after(form);
      refresh();
    } catch (err) {
      if (error) error.textContent = err.message;
    }
  });
}

function renderChannels(rows) {
  const body = $("#channels-table tbody");
  body.replaceChildren(...rows.map((row) => {
    const tr = el("tr");
    if (row.delivered !== row.received) tr.className = "mismatch";
    for (const key of ["channel", "published", "delivered", "received", "lost"]) tr.append(el("td", row[key]));
    return tr;
  }));
}

function faultButton(name, label, fields) {
  const button = el("button", label);
  button.addEventListener("click", () => post("fault", { name, ...fields }).then(refresh, (e) => alertInline(name, e)));
  return button;
}

function alertInline(name, err) {
  const panel = document.querySelector(`.panel[data-name="${CSS.escape(name)}"] .error`);
  if (panel) panel.textContent = err.message;
}

function renderChart() {
  // At most a few times a second: a burst of messages costs one redraw, not one per poll.
  const wait = chartAt + CHART_EVERY_MS - Date.now();
  if (wait > 0) {
    if (!chartTimer) chartTimer = setTimeout(() => { chartTimer = null; renderChart(); }, wait);
    return;
  }
  chartAt = Date.now();
  $("#chart").src = "chart.svg?at=" + chartAt;
}

function renderSubscribers(subs) {
  $("#subscribers").replaceChildren(...subs.map((sub) => {
    const panel = el("div", undefined, "panel");
    panel.dataset.name = sub.name;
    panel.append(el("h3", sub.name));
    panel.append(el("div", `${sub.kind}: ${sub.targets.join(", ")}`));
    panel.append(el("div", sub.state, "state state-" + sub.state));
    panel.append(el("div",
      `received ${sub.received} · handled ${sub.handled} · queued ${sub.queued} · queue peak ${sub.queue_peak}` +
      ` · gaps ${sub.gaps}` +
      ` · duplicates ${sub.duplicates} · dropped ${sub.dropped}` +
      ` · disconnects ${sub.disconnects} · reconnects ${sub.reconnects}`, "counters"));
    const unsubscribe = el("button", "Unsubscribe");
    unsubscribe.addEventListener("click", () => post("unsubscribe", { name: sub.name }).then(refresh));
    panel.append(unsubscribe, faultButton(sub.name, "Offline 5 s", { action: "offline", seconds: "5" }),
      faultButton(sub.name, "Kill connection", { action: "kill" }),
      faultButton(sub.name, "Slow callback", { action: "slow", ms: "200" }));
    panel.append(el("p", "", "error"));
    const list = el("ol", undefined, "messages");
    for (const m of sub.messages) list.append(el("li", `${m.channel}: ${m.preview}`));
    panel.append(list);
    return panel;
  }));
}

function render(state, httpOk) {
  const banner = $("#banner");
  banner.hidden = httpOk && state.server.ok;
  banner.textContent = state.server.error || "";
  renderChannels(state.channel_rows);
  const hub = state.hub;
  $("#totals").textContent = `published ${hub.published_total} · delivered ${hub.delivered_total} · ` +
    `received ${hub.received_total} · gaps ${hub.gaps_total} · dropped ${hub.dropped_total}`;
  const channels = Object.entries(state.server.channels).map(([c, n]) => `${c} (${n})`).join(", ") || "none";
  const more = state.server.channels_not_shown ? ` and ${state.server.channels_not_shown} more` : "";
  $("#server-view").textContent = `PUBSUB CHANNELS with NUMSUB: ${channels}${more} · PUBSUB NUMPAT: ${state.server.numpat}`;
  renderSubscribers(hub.subscriptions);
  renderChart();
}

async function refresh() {
  // A click asks for a refresh while a poll is out: remember it instead of starting a second request.
  if (polling) {
    pollAgain = true;
    return polling;
  }
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), POLL_TIMEOUT_MS);
  polling = (async () => {
    try {
      const response = await fetch("state", { cache: "no-store", signal: abort.signal });
      const text = await response.text();
      pollDelay = response.ok ? POLL_MS : Math.min(pollDelay * 2, MAX_POLL_MS);
      if (text !== lastState) {
        const state = JSON.parse(text);
        if (!state.hub) throw new Error(state.error || response.statusText);
        lastState = text;
        render(state, response.ok);
      }
    } catch (err) {
      pollDelay = Math.min(pollDelay * 2, MAX_POLL_MS);
      const banner = $("#banner");
      banner.hidden = false;
      banner.textContent = "The demo server is not answering: " + err.message;
    } finally {
      clearTimeout(timer);
      polling = null;
    }
  })();
  await polling;
  if (pollAgain) {
    pollAgain = false;
    return refresh();
  }
}

async function poll() {
  await refresh();
  setTimeout(poll, pollDelay);
}

for (const name of ["orders:new", "billing:invoice", "notifications:email", "notifications:push",
                    "cache:invalidate:products", "chat:lobby"]) {
  const option = el("option");
  option.value = name;
  $("#channels").append(option);
}
wire("publish-form", "publish");
wire("subscribe-form", "subscribe", (form) => form.reset());
wire("reset-form", "reset");
poll();
