"""A stand-in for the redis.io guide's demo server, written for these tests (none of the guide's code).

It uses only the hub API the guide's page uses, the way the page uses it: ``publish``
with the form's ``count``, ``subscribe``/``psubscribe`` from ``kind`` (channel or
pattern) and a comma-separated ``target``, ``unsubscribe``, ``stats``, and a Reset that
calls ``shutdown()``, then ``reset_stats()``, then subscribes the defaults again on the
same hub. Bad input (a ``ValueError`` from the hub) is a 400.
"""

from __future__ import annotations

import datetime
import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

DEFAULTS = (("orders-listener", "channel", "orders:new"), ("billing-listener", "channel", "billing:invoice"),
            ("all-notifications", "pattern", "notifications:*"))


class GuideStyleDemo(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, hub: Any) -> None:
        self.hub = hub
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seed()
        self._thread = threading.Thread(target=self.serve_forever, name="guide-style-demo", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def seed(self) -> None:
        for name, kind, target in DEFAULTS:
            subscribe(self.hub, name, kind, target)

    def close(self) -> None:
        self.shutdown()
        self._thread.join(timeout=5)
        self.server_close()


def subscribe(hub: Any, name: str, kind: str, target: str) -> None:
    targets = [t.strip() for t in target.split(",") if t.strip()]
    if kind == "pattern":
        hub.psubscribe(name, targets)
    elif kind == "channel":
        hub.subscribe(name, targets)
    else:
        raise ValueError(f"kind must be channel or pattern, not {kind!r}")


class _Handler(BaseHTTPRequestHandler):
    server: GuideStyleDemo

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path != "/stats":
            return self._answer(HTTPStatus.NOT_FOUND, {"error": "not found"})
        hub = self.server.hub
        self._answer(HTTPStatus.OK, {"stats": hub.stats(), "subscriptions": [s.to_dict() for s in hub.subscriptions()]})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        hub = self.server.hub
        try:
            if self.path == "/publish":
                message = {"text": form["message"], "sent_at": datetime.datetime.now(datetime.timezone.utc)}
                delivered = [hub.publish(form["channel"], message) for _ in range(int(form.get("count", "1")))]
                return self._answer(HTTPStatus.OK, {"delivered": delivered})
            if self.path == "/subscribe":
                subscribe(hub, form["name"], form.get("kind", "channel"), form["target"])
                return self._answer(HTTPStatus.OK, {"subscribed": form["name"]})
            if self.path == "/unsubscribe":
                removed = hub.unsubscribe(form["name"])
                return self._answer(HTTPStatus.OK if removed else HTTPStatus.NOT_FOUND, {"removed": removed})
            if self.path == "/reset":
                hub.shutdown()
                hub.reset_stats()
                self.server.seed()
                return self._answer(HTTPStatus.OK, {"subscriptions": [s.name for s in hub.subscriptions()]})
            return self._answer(HTTPStatus.NOT_FOUND, {"error": "not found"})
        except (ValueError, KeyError) as err:
            return self._answer(HTTPStatus.BAD_REQUEST, {"error": str(err)})
