"""The facilitator's view as a web page for the projector: the demo server, plus the room.

``RoomPage(room)`` is the web demo (same hardening: loopback Host names and
same-origin requests only, deadlines, caps) for the facilitator's own hub, with
three more routes: ``GET /room`` (the page), ``GET /room/state`` (the room
snapshot, which also asks learners for fresh counters) and ``POST /room/publish``.
"""

from __future__ import annotations

import threading
import time
from http import HTTPStatus
from importlib import resources
from typing import Any

from ..demo.server import MAX_CHANNEL, DemoHandler, DemoServer, HttpError, required
from .facilitator import Room
from .roster import room_snapshot

ASK_EVERY_S = 0.5
MAX_MESSAGE = 2000
STATIC = {"/room": ("room.html", "text/html"), "/room.js": ("room.js", "text/javascript"),
          "/room.css": ("room.css", "text/css")}


class RoomHandler(DemoHandler):
    server: "RoomPage"

    def _get(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/room/state":
            self._own_site_only()
            self.server.ask_now_and_then()
            self._json(HTTPStatus.OK, room_snapshot(self.server.room))
        elif path in STATIC:
            name, content_type = STATIC[path]
            self._send(HTTPStatus.OK, resources.files(__package__).joinpath("static", name).read_bytes(), content_type)
        else:
            super()._get()

    def _post(self) -> None:
        if self.path.split("?", 1)[0] != "/room/publish":
            super()._post()
            return
        form = self._body()
        channel = required(form, "channel", MAX_CHANNEL)
        message = required(form, "message", MAX_MESSAGE)
        try:
            returned = self.server.room.publish(channel, message)
        except (ValueError, TypeError) as err:
            raise HttpError(HTTPStatus.BAD_REQUEST, str(err)) from None
        self._json(HTTPStatus.OK, {"channel": channel, "returned": returned})


class RoomPage(DemoServer):
    """The room's page and the facilitator's demo on one port; ``close()`` joins every thread."""

    def __init__(self, room: Room, host: str = "127.0.0.1", port: int = 8095, **options: Any) -> None:
        self.room = room
        self._asked = 0.0
        self._ask_lock = threading.Lock()
        super().__init__(room.hub, host, port, **options)
        self.RequestHandlerClass = RoomHandler

    def ask_now_and_then(self) -> None:
        """Every poll would ask thirty laptops; at most one question per ASK_EVERY_S is enough."""
        with self._ask_lock:
            now = time.monotonic()
            if now - self._asked < ASK_EVERY_S:
                return
            self._asked = now
        self.room.ask_for_reports()
