"""The guide's web demo on the standard library's HTTP server, hardened.

Every request has a read timeout and a body cap; every bad field gets a 400
JSON saying what is wrong; Redis being down is a 503, anything unexpected a
500 — never a dropped connection. POSTs from other origins and Host headers
other than loopback names are refused, so other web pages (and DNS rebinding)
cannot drive your Redis through it.
"""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

import redis

from ..faults import Faults
from ..hub import RedisPubSubHub, SubscriptionLimitError
from ..snapshot import add_subscriber, reset, snapshot

REQUEST_TIMEOUT_S = 5.0
MAX_BODY_BYTES = 16 * 1024
MAX_COPIES = 20
MAX_NAME = 64
MAX_CHANNEL = 200
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
GUIDE_KINDS = {"channel": "exact"}  # the guide's kind=channel|pattern, beside our exact|pattern
STATIC = {"/": ("index.html", "text/html"), "/app.js": ("app.js", "text/javascript"), "/app.css": ("app.css", "text/css")}


class HttpError(Exception):
    """An answer for the client: a status and a sentence saying what to fix."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class DemoServer(ThreadingHTTPServer):
    """Serves the page and its JSON endpoints for one hub."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(
        self, hub: RedisPubSubHub, host: str = "127.0.0.1", port: int = 8095, request_timeout: float = REQUEST_TIMEOUT_S
    ) -> None:
        self.hub = hub
        self.request_timeout = request_timeout
        self.faults = Faults(hub)
        super().__init__((host, port), DemoHandler)
        port = self.server_port
        names = {*LOOPBACK_NAMES, host}
        self.allowed_hosts = {f"{name}:{port}" for name in names}
        self.allowed_origins = {f"http://{h}" for h in self.allowed_hosts}
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.server_address[0]}:{self.server_port}/"

    def start(self) -> "DemoServer":
        """Serve from a background thread (``close()`` stops and joins it)."""
        self._thread = threading.Thread(target=self.serve_forever, name="pubsub_kit:demo", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        if self._thread is not None:
            self.shutdown()
            self._thread.join(timeout=5)
        self.server_close()
        self.faults.close()


class DemoHandler(BaseHTTPRequestHandler):
    server: DemoServer
    server_version = "pubsub_kit-demo"

    def setup(self) -> None:
        self.timeout = self.server.request_timeout  # a half-sent request cannot hold a thread forever
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal shows where the server listens, not every poll."""

    # -- plumbing ----------------------------------------------------------------------

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: dict[str, Any]) -> None:
        self._send(status, json.dumps(data, default=str, allow_nan=False).encode(), "application/json")

    def _guarded(self, route: Any) -> None:
        try:
            host = self.headers.get("Host", "")
            if host not in self.server.allowed_hosts:
                raise HttpError(HTTPStatus.FORBIDDEN, f"Host {host!r} is not allowed: open {self.server.url} instead")
            route()
        except HttpError as err:
            self._json(err.status, {"error": err.message})
        except TimeoutError:
            self.close_connection = True
            self._json(HTTPStatus.REQUEST_TIMEOUT, {"error": f"the request was not sent within {self.timeout} s"})
        except (redis.ConnectionError, redis.TimeoutError) as err:
            self._json(HTTPStatus.SERVICE_UNAVAILABLE, {"error": f"Redis is unreachable: {err}"})
        except Exception as err:
            self._json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"unexpected error: {type(err).__name__}: {err}"})

    def do_GET(self) -> None:
        self._guarded(self._get)

    def do_POST(self) -> None:
        self._guarded(self._post)

    # -- GET ----------------------------------------------------------------------------

    def _get(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/state":
            state = snapshot(self.server.hub)
            ok = state["server"]["ok"]
            self._json(HTTPStatus.OK if ok else HTTPStatus.SERVICE_UNAVAILABLE, state)
        elif path in STATIC:
            name, content_type = STATIC[path]
            body = resources.files(__package__).joinpath("static", name).read_bytes()
            self._send(HTTPStatus.OK, body, content_type)
        else:
            raise HttpError(HTTPStatus.NOT_FOUND, f"no page at {path!r}")

    # -- POST ---------------------------------------------------------------------------

    def _form(self) -> dict[str, str]:
        origin = self.headers.get("Origin")
        if origin is not None and origin not in self.server.allowed_origins:
            raise HttpError(HTTPStatus.FORBIDDEN, f"requests from origin {origin!r} are refused")
        if self.headers.get("Sec-Fetch-Site") == "cross-site":
            raise HttpError(HTTPStatus.FORBIDDEN, "cross-site requests are refused")
        kind = self.headers.get("Content-Type", "").split(";")[0].strip()
        if kind != "application/x-www-form-urlencoded":
            raise HttpError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send the fields form-encoded (application/x-www-form-urlencoded)")
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            raise HttpError(HTTPStatus.LENGTH_REQUIRED, "Content-Length is required")
        if not length_text.isdigit():
            raise HttpError(HTTPStatus.BAD_REQUEST, f"Content-Length {length_text!r} is not a number")
        if int(length_text) > MAX_BODY_BYTES:
            self.close_connection = True
            raise HttpError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"the body is over {MAX_BODY_BYTES} bytes")
        body = self.rfile.read(int(length_text))
        try:
            fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
        except (UnicodeDecodeError, ValueError) as err:
            raise HttpError(HTTPStatus.BAD_REQUEST, f"the body is not valid form data: {err}") from None
        repeated = [k for k, v in fields.items() if len(v) > 1]
        if repeated:
            raise HttpError(HTTPStatus.BAD_REQUEST, f"fields given more than once: {repeated}")
        return {k: v[0] for k, v in fields.items()}

    def _post(self) -> None:
        routes = {"/publish": self._publish, "/subscribe": self._subscribe, "/unsubscribe": self._unsubscribe,
                  "/reset": self._reset, "/fault": self._fault}
        path = self.path.split("?", 1)[0]
        if path not in routes:
            raise HttpError(HTTPStatus.NOT_FOUND, f"no endpoint at {path!r}")
        form = self._form()
        try:
            status, answer = routes[path](form)
        except SubscriptionLimitError as err:
            raise HttpError(HTTPStatus.CONFLICT, str(err)) from None
        except (ValueError, TypeError, KeyError) as err:
            raise HttpError(HTTPStatus.BAD_REQUEST, str(err).strip("'\"")) from None
        self._json(status, answer)

    def _publish(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        channel = required(form, "channel", MAX_CHANNEL)
        message = required(form, "message", MAX_BODY_BYTES)
        copies_field = one_of(form, "copies", "count")  # "count" is the guide's name
        copies = whole_number(form.get(copies_field, "1"), copies_field, 1, MAX_COPIES)
        try:
            payload: Any = json.loads(message)
        except ValueError:
            payload = message
        delivered = self.server.hub.publish_many(channel, [payload] * copies)
        return HTTPStatus.OK, {"delivered": delivered}

    def _subscribe(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        name = required(form, "name", MAX_NAME)
        kind = form.get("kind", "exact")
        kind = GUIDE_KINDS.get(kind, kind)
        targets = required(form, one_of(form, "targets", "target"), 1000)  # "target" is the guide's name
        add_subscriber(self.server.hub, self.server.faults, name, kind, targets)
        return HTTPStatus.CREATED, {"subscribed": name}

    def _unsubscribe(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        name = required(form, "name", MAX_NAME)
        if not self.server.hub.unsubscribe(name):
            raise HttpError(HTTPStatus.NOT_FOUND, f"no subscriber named {name!r}")
        self.server.faults.forget(name)
        return HTTPStatus.OK, {"unsubscribed": name}

    def _reset(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        reset(self.server.hub, self.server.faults)
        return HTTPStatus.OK, {"subscriptions": [s.name for s in self.server.hub.subscriptions()]}

    def _fault(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        name, action = required(form, "name", MAX_NAME), required(form, "action", 20)
        faults = self.server.faults
        if action == "offline":
            faults.offline_for(name, whole_number(form.get("seconds", "5"), "seconds", 1, 60))
        elif action == "kill":
            faults.kill(name)
        elif action == "slow":
            faults.slow(name, whole_number(form.get("ms", "200"), "ms", 0, 5000))
        else:
            raise ValueError(f"action must be 'offline', 'kill' or 'slow', got {action!r}")
        return HTTPStatus.OK, {"fault": action, "name": name}


def required(form: dict[str, str], field: str, max_length: int) -> str:
    value = form.get(field, "")
    if not value.strip():
        raise HttpError(HTTPStatus.BAD_REQUEST, f"{field} is required")
    if len(value) > max_length:
        raise HttpError(HTTPStatus.BAD_REQUEST, f"{field} is longer than {max_length} characters")
    return value.strip()


def one_of(form: dict[str, str], ours: str, guides: str) -> str:
    """Which of two names for one field the form used (ours, or the redis.io guide's)."""
    if ours in form and guides in form:
        raise HttpError(HTTPStatus.BAD_REQUEST, f"give {ours} or {guides}, not both (they mean the same)")
    return guides if guides in form else ours


def whole_number(text: str, field: str, low: int, high: int) -> int:
    if not text.strip().isdigit() or not low <= int(text) <= high:
        raise HttpError(HTTPStatus.BAD_REQUEST, f"{field} must be a whole number from {low} to {high}, got {text!r}")
    return int(text)
