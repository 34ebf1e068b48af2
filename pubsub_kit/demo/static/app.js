// Renders GET /state; every value goes in as text (textContent), never as HTML.
"use strict";

const $ = (sel) => document.querySelector(sel);
let lastState = "";

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
  button.addEventListener("click", () => post("/fault", { name, ...fields }).then(refresh, (e) => alertInline(name, e)));
  return button;
}

function alertInline(name, err) {
  const panel = document.querySelector(`.panel[data-name="${CSS.escape(name)}"] .error`);
  if (panel) panel.textContent = err.message;
}

function renderSubscribers(subs) {
  $("#subscribers").replaceChildren(...subs.map((sub) => {
    const panel = el("div", undefined, "panel");
    panel.dataset.name = sub.name;
    panel.append(el("h3", sub.name));
    panel.append(el("div", `${sub.is_pattern ? "pattern" : "exact"}: ${sub.targets.join(", ")}`));
    panel.append(el("div", sub.state, "state state-" + sub.state));
    panel.append(el("div",
      `received ${sub.received} · gaps ${sub.gaps} · duplicates ${sub.duplicates} · dropped ${sub.dropped}` +
      ` · disconnects ${sub.disconnects} · reconnects ${sub.reconnects}`, "counters"));
    const unsubscribe = el("button", "Unsubscribe");
    unsubscribe.addEventListener("click", () => post("/unsubscribe", { name: sub.name }).then(refresh));
    panel.append(unsubscribe, faultButton(sub.name, "Offline 5 s", { action: "offline", seconds: "5" }),
      faultButton(sub.name, "Kill connection", { action: "kill" }),
      faultButton(sub.name, "Slow callback", { action: "slow", ms: "200" }));
    panel.append(el("p", "", "error"));
    const list = el("ol", undefined, "messages");
    for (const m of sub.messages) list.append(el("li", `${m.channel}: ${JSON.stringify(m.payload)}`));
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
  $("#server-view").textContent = `PUBSUB CHANNELS with NUMSUB: ${channels} · PUBSUB NUMPAT: ${state.server.numpat}`;
  renderSubscribers(hub.subscriptions);
}

async function refresh() {
  try {
    const response = await fetch("/state", { cache: "no-store" });
    const text = await response.text();
    if (text === lastState) return;
    lastState = text;
    render(JSON.parse(text), response.ok);
  } catch (err) {
    const banner = $("#banner");
    banner.hidden = false;
    banner.textContent = "The demo server is not answering: " + err.message;
  }
}

for (const name of ["orders:new", "billing:invoice", "notifications:email", "notifications:push",
                    "cache:invalidate:products", "chat:lobby"]) {
  const option = el("option");
  option.value = name;
  $("#channels").append(option);
}
wire("publish-form", "/publish");
wire("subscribe-form", "/subscribe", (form) => form.reset());
wire("reset-form", "/reset");
refresh();
setInterval(refresh, 250);
