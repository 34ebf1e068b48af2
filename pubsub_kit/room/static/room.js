// Renders GET room/state once a second; every value goes in as text (textContent), never as HTML.
// URLs are relative, so the page also works behind a path prefix (jupyter-server-proxy).
"use strict";

const $ = (sel) => document.querySelector(sel);
const POLL_MS = 1000;
const COLUMNS = ["name", "state", "subscribed_to", "received", "missed", "missed_ids", "queued", "dropped", "published"];

function cell(row, key) {
  if (key === "state") return !row.connected ? "gone" : (row.reporting ? "live" : "connected, not reporting");
  const value = row[key];
  return Array.isArray(value) ? value.join(", ") : String(value);
}

function render(snap) {
  $("#join-line").textContent = snap.room.join_line;
  const last = snap.facilitator.last_publish;
  $("#summary").textContent = `${snap.room.connected} of ${snap.room.learners} learners connected · ` +
    (last ? `last PUBLISH to ${last.channel} reached ${last.returned} subscriptions` : "nothing published yet") +
    ` · ${snap.room.server}`;
  $("#learners tbody").replaceChildren(...snap.learners.map((row) => {
    const tr = document.createElement("tr");
    tr.className = "room-learner" + (row.missed || !row.connected ? " missed" : "");
    for (const key of COLUMNS) {
      const td = document.createElement("td");
      td.textContent = cell(row, key);
      tr.append(td);
    }
    return tr;
  }));
}

async function poll() {
  try {
    const response = await fetch("room/state", { cache: "no-store" });
    const answer = await response.json();
    if (!response.ok) throw new Error(answer.error || response.statusText);
    $("#banner").hidden = true;
    render(answer);
  } catch (err) {
    $("#banner").textContent = `the room does not answer: ${err.message}`;
    $("#banner").hidden = false;
  }
  setTimeout(poll, POLL_MS);
}

$("#publish-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("#publish-error").textContent = "";
  try {
    const response = await fetch("room/publish", { method: "POST", body: new URLSearchParams(new FormData(event.target)) });
    const answer = await response.json();
    if (!response.ok) throw new Error(answer.error || response.statusText);
  } catch (err) {
    $("#publish-error").textContent = err.message;
  }
});

poll();
