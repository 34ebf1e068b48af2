"""The facilitator's projector view in JupyterLab: the join line, one publish box, one row per learner.

It renders ``room_snapshot`` (the web page renders the same dict) and acts
through the ``Room`` itself. Once a second it asks every learner's hub for its
counters and redraws what changed: who is connected, what each subscribes to,
what each received from the facilitator and exactly which messages each missed.
Big type, because it is read from the back of a room.
"""

from __future__ import annotations

import html
import threading
from typing import Any

import ipywidgets as widgets
import redis

from .._views import Refresher, close_tree, error_html, set_value
from .facilitator import Room
from .roster import room_snapshot

REFRESH_S = 1.0
BIG = "font-size:1.4em;line-height:1.5"
COLUMNS = (("name", "learner"), ("state", "state"), ("subscribed_to", "subscribed to"), ("received", "received"),
           ("missed", "missed"), ("missed_ids", "which"), ("queued", "queued"), ("dropped", "dropped"),
           ("published", "published"))


def _state(row: dict[str, Any]) -> str:
    if not row["connected"]:
        return "gone"
    return "live" if row["reporting"] else "connected, not reporting"


def _cell(row: dict[str, Any], key: str) -> str:
    if key == "state":
        return _state(row)
    value = row[key]
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def learners_table(snap: dict[str, Any]) -> str:
    """The learners' rows as escaped HTML; a learner who missed something or is gone is red."""
    head = "".join(f"<th style='text-align:left;padding:0 .6em'>{label}</th>" for _key, label in COLUMNS)
    rows = []
    for row in snap["learners"]:
        shade = "#ffd6d6" if row["missed"] or not row["connected"] else "none"
        cells = "".join(f"<td style='padding:0 .6em'>{html.escape(_cell(row, key))}</td>" for key, _l in COLUMNS)
        rows.append(f"<tr class='room-learner' style='background:{shade}'>{cells}</tr>")
    return f"<table style='{BIG};border-collapse:collapse'><tr>{head}</tr>{''.join(rows)}</table>"


def header(snap: dict[str, Any]) -> str:
    room, last = snap["room"], snap["facilitator"]["last_publish"]
    said = (f"last PUBLISH to {html.escape(last['channel'])} reached <b>{last['returned']}</b> subscriptions"
            if last else "nothing published yet")
    health = "" if room["server_ok"] else " · <span style='color:#b00020'>the room server does not answer</span>"
    return (f"<div style='{BIG}'>Join: <code class='room-join-line'>{html.escape(room['join_line'])}</code><br>"
            f"{room['connected']} of {room['learners']} learners connected · {said} · "
            f"{html.escape(room['server'])}{health}</div>")


class RoomView:
    """``RoomView(room)`` in a notebook cell: the room, live, for the projector; ``close()`` stops it."""

    def __init__(self, room: Room, refresh_s: float = REFRESH_S) -> None:
        self.room = room
        self.refresh_s = refresh_s
        self._lock = threading.Lock()
        self.head = widgets.HTML()
        self.channel = widgets.Text(value="room:news", description="channel")
        self.message = widgets.Text(value="hello, room", description="message")
        self.publish_button = widgets.Button(description="Publish to the room", button_style="primary")
        self.error = widgets.HTML()
        self.table = widgets.HTML()
        for widget, css in [(self.head, "room-head"), (self.channel, "room-channel"), (self.message, "room-message"),
                            (self.publish_button, "room-publish"), (self.table, "room-table")]:
            widget.add_class(css)
        self.publish_button.on_click(lambda _: self.publish_from_form())
        self.view = widgets.VBox([self.head, widgets.HBox([self.channel, self.message, self.publish_button]),
                                  self.error, self.table])
        self.view.add_class("pubsub-kit-room")
        self.refresh()
        self._refresher = Refresher(self._tick, refresh_s, lambda text: set_value(self.error, error_html(text)),
                                    "room view")

    def publish_from_form(self) -> None:
        try:
            self.room.publish(self.channel.value.strip(), self.message.value)
            set_value(self.error, "")
        except (ValueError, TypeError, redis.RedisError) as err:
            set_value(self.error, error_html(str(err)))
        self.refresh()

    def refresh(self) -> None:
        snap = room_snapshot(self.room)
        with self._lock:
            if self.view.comm is None:
                return
            set_value(self.head, header(snap))
            set_value(self.table, learners_table(snap))

    def _tick(self) -> None:
        self.room.ask_for_reports()
        self.refresh()

    def close(self) -> None:
        """Stop the refresher (joined) and close every widget; the room stays open."""
        self._refresher.stop()
        with self._lock:
            close_tree(self.view)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.view)
