"""The guide's web demo on the standard library's HTTP server, hardened.

Every request has one absolute deadline, a cap on its header bytes and on its
body; at most ``max_connections`` are served at once. Every bad field gets a
400 JSON saying what is wrong; Redis being down is a 503, anything unexpected
a 500 — never a dropped connection. Requests other web pages start
(Fetch-Metadata, Origin) and Host headers other than loopback names are
refused, so other sites (and DNS rebinding) cannot drive your Redis through it.
Actions go through the same ``Playground`` as the dashboard.
"""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

import redis

from ..chart import chart_svg
from ..hub import RedisPubSubHub, SubscriptionLimitError
from ..playground import MAX_COPIES, Playground
from ..snapshot import hub_view, snapshot
from .limits import CappedThreadingServer, RequestReader

REQUEST_TIMEOUT_S = 5.0
MAX_CONNECTIONS = 32
MAX_HEAD_BYTES = 16 * 1024
MAX_BODY_BYTES = 16 * 1024
MAX_DISCARD_BYTES = 16 * 1024 * 1024
MAX_NAME = 64
MAX_CHANNEL = 200
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
OWN_SITE = ("same-origin", "none")
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
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


class DemoServer(CappedThreadingServer):
    """Serves the page and its JSON endpoints for one hub; ``close()`` joins every thread."""

    request_queue_size = 128

    def __init__(self, hub: RedisPubSubHub, host: str = "127.0.0.1", port: int = 8095,
                 request_timeout: float = REQUEST_TIMEOUT_S, max_connections: int = MAX_CONNECTIONS) -> None:
        self.hub = hub
        self.request_timeout = request_timeout
        self.playground = Playground(hub)
        self.allowed_names = {*LOOPBACK_NAMES, host}
        super().__init__((host, port), DemoHandler, max_connections=max_connections)
        self.allowed_origins = {f"http://{name}:{self.server_port}" for name in self.allowed_names}
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
        """Stop accepting, wake every open connection, join all threads, stop the fault timers."""
        if self._thread is not None:
            self.shutdown()
            self._thread.join(timeout=5)
        self.wake_connections()
        self.server_close()
        self.playground.close()


class DemoHandler(BaseHTTPRequestHandler):
    server: DemoServer
    server_version = "pubsub_kit-demo"
    rfile: RequestReader  # type: ignore[assignment]

    def setup(self) -> None:
        super().setup()
        self.rfile.close()
        self.rfile = RequestReader(self.connection)

    def handle_one_request(self) -> None:
        self.rfile.start_request(self.server.request_timeout, MAX_HEAD_BYTES)
        super().handle_one_request()

    def parse_request(self) -> bool:
        if len(self.raw_requestline) >= MAX_HEAD_BYTES:
            self.command, self.request_version, self.requestline = None, self.protocol_version, ""
            self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG, f"the request line is over {MAX_HEAD_BYTES} bytes")
            return False
        parsed = super().parse_request()
        self.rfile.end_head()
        return parsed

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal shows where the server listens, not every poll."""

    # -- plumbing ----------------------------------------------------------------------

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.connection.settimeout(self.server.request_timeout)  # the reads may have used up the deadline
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

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The standard library's own errors (400, 414, 431, 501 …) as JSON with the security headers."""
        self.close_connection = True
        self._json(code, {"error": message or HTTPStatus(code).phrase})

    def _guarded(self, route: Any) -> None:
        try:
            host = self.headers.get("Host", "")
            name, _, port = host.rpartition(":")
            if not (port.isdigit() and name in self.server.allowed_names):
                raise HttpError(HTTPStatus.FORBIDDEN, f"Host {host!r} is not allowed: open {self.server.url} instead")
            route()
        except HttpError as err:
            self._json(err.status, {"error": err.message})
        except TimeoutError:
            self.close_connection = True
            self._json(HTTPStatus.REQUEST_TIMEOUT,
                       {"error": f"the request was not sent within {self.server.request_timeout} s"})
        except (redis.ConnectionError, redis.TimeoutError) as err:
            self._json(HTTPStatus.SERVICE_UNAVAILABLE, {"error": f"Redis is unreachable: {err}"})
        except Exception as err:
            self._json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"unexpected error: {type(err).__name__}: {err}"})

    def _own_site_only(self) -> None:
        """Fetch-Metadata: browsers say which site started a request, and other sites get nothing."""
        site = self.headers.get("Sec-Fetch-Site")
        if site is not None and site not in OWN_SITE:
            raise HttpError(HTTPStatus.FORBIDDEN, f"{site} requests are refused: open the demo page itself")

    def do_GET(self) -> None:
        self._guarded(self._get)

    def do_HEAD(self) -> None:
        self._guarded(self._get)

    def do_POST(self) -> None:
        self._guarded(self._post)

    # -- GET ----------------------------------------------------------------------------

    def _get(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/state":
            self._own_site_only()
            state = snapshot(self.server.hub)
            self._json(HTTPStatus.OK if state["server"]["ok"] else HTTPStatus.SERVICE_UNAVAILABLE, state)
        elif path == "/chart.svg":
            self._own_site_only()
            self._send(HTTPStatus.OK, chart_svg(hub_view(self.server.hub)).encode(), "image/svg+xml")
        elif path in STATIC:
            name, content_type = STATIC[path]
            body = resources.files(__package__).joinpath("static", name).read_bytes()
            self._send(HTTPStatus.OK, body, content_type)
        else:
            raise HttpError(HTTPStatus.NOT_FOUND, f"no page at {path!r}")

    # -- POST ---------------------------------------------------------------------------

    def _body(self) -> dict[str, str]:
        self._own_site_only()
        origin = self.headers.get("Origin")
        if "Sec-Fetch-Site" not in self.headers and origin is not None and origin not in self.server.allowed_origins:
            raise HttpError(HTTPStatus.FORBIDDEN, f"requests from origin {origin!r} are refused")
        kind = self.headers.get("Content-Type", "").split(";")[0].strip()
        if kind != "application/x-www-form-urlencoded":
            raise HttpError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send the fields form-encoded (application/x-www-form-urlencoded)")
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            raise HttpError(HTTPStatus.LENGTH_REQUIRED, "Content-Length is required")
        if not (length_text.isascii() and length_text.isdigit() and len(length_text) <= 12):
            raise HttpError(HTTPStatus.BAD_REQUEST, f"Content-Length {length_text[:20]!r} is not a number")
        length = int(length_text)
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            if length <= MAX_DISCARD_BYTES:
                self.rfile.discard(length)  # a client still sending would see a reset, not the 413
            raise HttpError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"the body is over {MAX_BODY_BYTES} bytes")
        body = self.rfile.read(length)
        try:
            fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
        except (UnicodeDecodeError, ValueError) as err:
            raise HttpError(HTTPStatus.BAD_REQUEST, f"the body is not valid form data: {err}") from None
        repeated = [k for k, v in fields.items() if len(v) > 1]
        if repeated:
            raise HttpError(HTTPStatus.BAD_REQUEST, f"fields given more than once: {repeated}")
        return {k: v[0] for k, v in fields.items()}

    def _post(self) -> None:
        path = self.path.split("?", 1)[0]
        if path not in ACTIONS:
            raise HttpError(HTTPStatus.NOT_FOUND, f"no endpoint at {path!r}")
        fields = form_fields(path, self._body())
        try:
            status, answer = ACTIONS[path](self.server.playground, **fields)
        except SubscriptionLimitError as err:
            raise HttpError(HTTPStatus.CONFLICT, str(err)) from None
        except (ValueError, TypeError, KeyError) as err:
            raise HttpError(HTTPStatus.BAD_REQUEST, str(err).strip("'\"")) from None
        self._json(status, answer)


def form_fields(path: str, form: dict[str, str]) -> dict[str, Any]:
    """Every endpoint's form fields, checked and typed in one place."""
    if path == "/publish":
        copies = one_of(form, "copies", "count")  # "count" is the redis.io guide's name
        return {"channel": required(form, "channel", MAX_CHANNEL), "message": required(form, "message", MAX_BODY_BYTES),
                "copies": whole_number(form.get(copies, "1"), copies, 1, MAX_COPIES)}
    if path == "/subscribe":
        kind = form.get("kind", "exact")
        return {"name": required(form, "name", MAX_NAME), "kind": GUIDE_KINDS.get(kind, kind),
                "targets": required(form, one_of(form, "targets", "target"), 1000)}  # "target": the guide's name
    if path == "/unsubscribe":
        return {"name": required(form, "name", MAX_NAME)}
    if path == "/fault":
        return {"name": required(form, "name", MAX_NAME), "action": required(form, "action", 20),
                "seconds": whole_number(form.get("seconds", "5"), "seconds", 1, 60),
                "ms": whole_number(form.get("ms", "200"), "ms", 0, 5000)}
    return {}


def _publish(playground: Playground, channel: str, message: str, copies: int) -> tuple[int, dict[str, Any]]:
    return HTTPStatus.OK, {"delivered": playground.publish(channel, message, copies)}


def _subscribe(playground: Playground, name: str, kind: str, targets: str) -> tuple[int, dict[str, Any]]:
    playground.subscribe(name, kind, targets)
    return HTTPStatus.CREATED, {"subscribed": name}


def _unsubscribe(playground: Playground, name: str) -> tuple[int, dict[str, Any]]:
    if not playground.unsubscribe(name):
        raise HttpError(HTTPStatus.NOT_FOUND, f"no subscriber named {name!r}")
    return HTTPStatus.OK, {"unsubscribed": name}


def _reset(playground: Playground) -> tuple[int, dict[str, Any]]:
    playground.reset()
    return HTTPStatus.OK, {"subscriptions": [s.name for s in playground.hub.subscriptions()]}


def _fault(playground: Playground, name: str, action: str, seconds: int, ms: int) -> tuple[int, dict[str, Any]]:
    faults = {"offline": lambda: playground.offline(name, seconds), "kill": lambda: playground.kill(name),
              "slow": lambda: playground.slow(name, ms)}
    if action not in faults:
        raise ValueError(f"action must be 'offline', 'kill' or 'slow', got {action!r}")
    faults[action]()
    return HTTPStatus.OK, {"fault": action, "name": name}


ACTIONS = {"/publish": _publish, "/subscribe": _subscribe, "/unsubscribe": _unsubscribe, "/reset": _reset,
           "/fault": _fault}


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
    digits = text.strip()
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 9 and low <= int(digits) <= high):
        raise HttpError(HTTPStatus.BAD_REQUEST, f"{field} must be a whole number from {low} to {high}, got {text[:20]!r}")
    return int(digits)
