"""What one client can make the demo server hold: time, header bytes, connections, body, /state size."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis

from pubsub_kit import RedisPubSubHub
from pubsub_kit.demo import DemoServer
from pubsub_kit.demo.server import MAX_HEAD_BYTES
from pubsub_kit.local import free_port
from pubsub_kit.snapshot import MAX_ROWS, MAX_SUBSCRIBERS, PREVIEW_CHARS

from .conftest import wait_until
from .prefix_proxy import PrefixProxy
from .test_demo_http import call

HOSTILE = "ev:<img src=x onerror=alert(1)>"


def _answered_or_closed(sock: socket.socket, within: float) -> bool:
    sock.settimeout(within)
    try:
        sock.recv(4096)
        return True
    except socket.timeout:
        return False
    except OSError:
        return True


def test_a_client_trickling_bytes_is_cut_off_at_the_request_deadline(demo: DemoServer) -> None:
    """One byte every 0.2 s never trips a 0.5 s per-read timeout; the absolute deadline still ends it."""
    sock = socket.create_connection(("127.0.0.1", demo.server_port), timeout=5)
    head = f"GET /state HTTP/1.1\r\nHost: 127.0.0.1:{demo.server_port}\r\nX-Slow: {'a' * 200}".encode()
    started = time.monotonic()
    try:
        for byte in head:
            sock.sendall(bytes([byte]))
            if _answered_or_closed(sock, within=0.2):
                break
        elapsed = time.monotonic() - started
    finally:
        sock.close()
    assert elapsed < 2.0, f"the request held its thread for {elapsed:.1f} s past a 0.5 s deadline"
    assert call(demo, "GET", "/state")[0] == 200


def test_headers_and_request_lines_over_the_cap_are_refused_as_json(demo: DemoServer) -> None:
    many = {f"X-Pad-{i}": "p" * 1000 for i in range(MAX_HEAD_BYTES // 1000 + 2)}
    status, answer, headers = call(demo, "GET", "/state", headers=many)
    assert status == 431 and "too long" in answer["error"].lower()
    assert headers["X-Content-Type-Options"] == "nosniff"
    status, answer, _ = call(demo, "GET", "/state?" + "q" * MAX_HEAD_BYTES)
    assert status == 414 and f"{MAX_HEAD_BYTES} bytes" in answer["error"]
    assert call(demo, "GET", "/state")[0] == 200


def test_a_ten_megabyte_body_gets_its_413_answer(demo: DemoServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", demo.server_port, timeout=10)
    try:
        conn.request("POST", "/publish", body=b"message=" + b"x" * 10_000_000,
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        assert response.status == 413
        assert "bytes" in json.loads(response.read())["error"]
    finally:
        conn.close()


def test_connections_over_the_cap_get_a_503_at_once(hub: RedisPubSubHub) -> None:
    demo = DemoServer(hub, port=0, request_timeout=5, max_connections=2).start()
    idle = [socket.create_connection(("127.0.0.1", demo.server_port), timeout=5) for _ in range(2)]
    answers: list[dict] = []

    def refused() -> bool:
        status, answer, _ = call(demo, "GET", "/app.css")
        answers.append(answer)
        return status == 503

    try:
        assert wait_until(refused, timeout=5), "a third connection is refused"
        assert "too many connections" in answers[-1]["error"]
        for sock in idle:
            sock.close()
        assert wait_until(lambda: call(demo, "GET", "/app.css")[0] == 200, timeout=5), "slots come back"
    finally:
        for sock in idle:
            sock.close()
        demo.close()


def test_close_joins_handler_threads_even_with_idle_connections_open(hub: RedisPubSubHub) -> None:
    demo = DemoServer(hub, port=0, request_timeout=30).start()
    idle = socket.create_connection(("127.0.0.1", demo.server_port), timeout=5)
    try:
        assert wait_until(lambda: _handler_threads() >= 1, timeout=5)
        started = time.monotonic()
        demo.close()
        assert time.monotonic() - started < 5, "close() must not wait out a 30 s request deadline"
        assert _handler_threads() == 0
    finally:
        idle.close()


def _handler_threads() -> int:
    return sum(1 for t in threading.enumerate() if "process_request_thread" in t.name and t.is_alive())


@pytest.mark.parametrize("site, status", [
    ("cross-site", 403), ("same-site", 403), ("same-origin", 200), ("none", 200), (None, 200),
])
def test_fetch_metadata_lets_only_the_page_itself_read_state(demo: DemoServer, site: str | None, status: int) -> None:
    headers = {"Sec-Fetch-Site": site} if site else {}
    assert call(demo, "GET", "/state", headers=headers)[0] == status
    assert call(demo, "GET", "/chart.svg", headers=headers)[0] == status
    assert call(demo, "GET", "/", headers=headers)[0] == 200, "a link to the page from anywhere still opens it"


def test_state_stays_small_under_hostile_traffic(demo: DemoServer, hub: RedisPubSubHub, admin: redis.Redis) -> None:
    for i in range(MAX_SUBSCRIBERS):
        hub.psubscribe(f"wide-{i}", "*")
    pipe = admin.pipeline(transaction=False)
    for i in range(MAX_ROWS + 30):
        pipe.publish(f"{HOSTILE}:{i}:" + "c" * 1000, "<script>alert(1)</script>" * 1000)
    pipe.execute()
    assert wait_until(lambda: hub.stats()["received_total"] >= MAX_SUBSCRIBERS * (MAX_ROWS + 30), timeout=30)
    body_size, state = _state(demo)
    assert body_size < 1_500_000, f"/state is {body_size} bytes"
    assert len(state["hub"]["subscriptions"]) == MAX_SUBSCRIBERS
    assert state["hub"]["subscriptions_not_shown"] == 3
    assert "by_channel" not in state["hub"]["subscriptions"][0]
    assert len(state["channel_rows"]) == MAX_ROWS and state["channel_rows_not_shown"] == 30
    previews = [m["preview"] for s in state["hub"]["subscriptions"] for m in s["messages"]]
    assert previews and max(len(p) for p in previews) < PREVIEW_CHARS + 40
    assert max(len(r["channel"]) for r in state["channel_rows"]) < 250


def _state(demo: DemoServer) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", demo.server_port, timeout=10)
    try:
        conn.request("GET", "/state")
        raw = conn.getresponse().read()
        return len(raw), json.loads(raw)
    finally:
        conn.close()


def test_the_page_uses_only_relative_urls(demo: DemoServer) -> None:
    page = call(demo, "GET", "/")[1]["text"] + call(demo, "GET", "/app.js")[1]["text"]
    absolute = re.findall(r"""(?:href|src|action)\s*=\s*["']/|(?:fetch|post)\(\s*["'`]/""", page)
    assert not absolute, f"absolute-path URLs break behind a prefix such as /proxy/8095/: {absolute}"


def test_the_demo_runs_without_pandas(tmp_path: Path) -> None:
    """``pip install redis-pubsub-kit`` has no pandas: the demo and the snapshot must not need it."""
    blocker = tmp_path / "pandas"
    blocker.mkdir()
    (blocker / "__init__.py").write_text('raise ImportError("pandas is blocked by this test")\n')
    port = free_port()
    env = {**os.environ, "REDIS_URL": "", "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    proc = subprocess.Popen([sys.executable, "-m", "pubsub_kit.demo", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        first = proc.stdout.readline()
        assert first.startswith("pubsub_kit demo listening"), first + proc.stderr.read()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/state")
        state = json.loads(conn.getresponse().read())
        conn.close()
        assert [s["kind"] for s in state["hub"]["subscriptions"]] == ["exact", "exact", "pattern"]
        check = subprocess.run([sys.executable, "-c", "import pubsub_kit.snapshot, pubsub_kit.playground, pandas"],
                               env=env, capture_output=True, text=True)
        assert "pandas is blocked" in check.stderr, "the blocker works, so the demo above really ran without pandas"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=15)


def test_the_demo_works_behind_a_path_prefix_proxy(demo: DemoServer, hub: RedisPubSubHub) -> None:
    proxy = PrefixProxy(demo.server_port)
    try:
        base = f"/proxy/{demo.server_port}"
        conn = http.client.HTTPConnection("127.0.0.1", proxy.server_port, timeout=10)
        origin = f"http://127.0.0.1:{proxy.server_port}"
        conn.request("POST", f"{base}/publish", body="channel=orders:new&message=hi",
                     headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": origin,
                              "Sec-Fetch-Site": "same-origin"})
        response = conn.getresponse()
        assert response.status == 200, response.read()
        response.read()
        conn.request("GET", f"{base}/state", headers={"Sec-Fetch-Site": "same-origin"})
        assert json.loads(conn.getresponse().read())["hub"]["published_total"] == 1
        conn.close()
    finally:
        proxy.close()


@pytest.mark.parametrize("length", ["²", "1" * 5000, "-1", "0x10"])
def test_a_content_length_that_is_not_plain_digits_is_a_400(demo: DemoServer, length: str) -> None:
    status, answer, _ = call(demo, "POST", "/publish", b"", headers={"Content-Length": length})
    assert status == 400 and "Content-Length" in answer["error"]


def test_methods_without_a_route_get_json_with_security_headers(demo: DemoServer) -> None:
    status, answer, headers = call(demo, "PUT", "/state", b"")
    assert status == 501 and answer["error"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert call(demo, "HEAD", "/")[0] == 200
