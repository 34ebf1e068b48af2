"""The web demo over plain HTTP: every endpoint, and every hardening point."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from pubsub_kit import LocalRedis, RedisPubSubHub
from pubsub_kit.demo import DemoServer

from .conftest import process_gone, wait_until
from .test_hub_reliability import restart_on_same_port

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def call(demo: DemoServer, method: str, path: str, body: str | bytes | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", demo.server_port, timeout=10)
    try:
        conn.request(method, path, body=body, headers={**(FORM if body is not None else {}), **(headers or {})})
        response = conn.getresponse()
        raw = response.read()
        content_type = response.getheader("Content-Type", "")
        data = json.loads(raw) if content_type.startswith("application/json") else {"text": raw.decode()}
        return response.status, data, dict(response.getheaders())
    finally:
        conn.close()


def test_the_page_and_its_assets_are_served_with_security_headers(demo: DemoServer) -> None:
    for path, kind in [("/", "text/html"), ("/app.js", "text/javascript"), ("/app.css", "text/css")]:
        status, data, headers = call(demo, "GET", path)
        assert status == 200 and headers["Content-Type"].startswith(kind)
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
    assert "textContent" in call(demo, "GET", "/app.js")[1]["text"]
    assert "innerHTML" not in call(demo, "GET", "/app.js")[1]["text"]


def test_state_starts_with_the_three_default_subscribers(demo: DemoServer) -> None:
    status, state, _ = call(demo, "GET", "/state")
    assert status == 200
    subs = {s["name"]: s["targets"] for s in state["hub"]["subscriptions"]}
    assert subs == {"orders-listener": ["orders:new"], "billing-listener": ["billing:invoice"],
                    "all-notifications": ["notifications:*"]}
    assert state["server"] == {"ok": True, "channels": {"billing:invoice": 1, "orders:new": 1}, "channels_not_shown": 0,
                              "numpat": 1, "error": None}


def test_publish_subscribe_unsubscribe_reset_flow(demo: DemoServer, hub: RedisPubSubHub) -> None:
    assert call(demo, "POST", "/subscribe", "name=audit&kind=pattern&targets=orders:*,billing:*")[0] == 201
    status, answer, _ = call(demo, "POST", "/publish", "channel=orders:new&message=%7B%22id%22%3A1%7D&copies=3")
    assert status == 200 and answer == {"delivered": [2, 2, 2]}
    hub.wait_until_delivered()
    state = call(demo, "GET", "/state")[1]
    audit = next(s for s in state["hub"]["subscriptions"] if s["name"] == "audit")
    assert [m["preview"] for m in audit["messages"]] == ['{"id":1}'] * 3
    assert state["channel_rows"] == [{"channel": "orders:new", "published": 3, "delivered": 6, "received": 6, "lost": 0}]
    assert call(demo, "POST", "/unsubscribe", "name=audit")[0] == 200
    assert call(demo, "POST", "/unsubscribe", "name=audit")[0] == 404
    assert call(demo, "POST", "/reset", "")[1] == {"subscriptions": ["orders-listener", "billing-listener", "all-notifications"]}
    assert call(demo, "GET", "/state")[1]["hub"]["published_total"] == 0


@pytest.mark.parametrize("path, body, words", [
    ("/publish", "message=x", "channel is required"),
    ("/publish", "channel=c", "message is required"),
    ("/publish", "channel=c&message=x&copies=0", "copies must be a whole number from 1 to 20"),
    ("/publish", "channel=c&message=x&copies=21", "from 1 to 20, got '21'"),
    ("/publish", "channel=c&message=x&copies=two", "got 'two'"),
    ("/publish", "channel=" + "c" * 201 + "&message=x", "longer than 200"),
    ("/subscribe", "name=x&kind=pattern&targets=orders:[ab", "unclosed"),
    ("/subscribe", "name=x&kind=glob&targets=a", "kind must be 'exact' or 'pattern'"),
    ("/subscribe", "name=x&targets=,,", "targets is empty"),
    ("/subscribe", "name=orders-listener&targets=a", "already exists"),
    ("/fault", "name=orders-listener&action=explode", "action must be"),
    ("/fault", "name=orders-listener&action=offline&seconds=999", "from 1 to 60"),
    ("/publish", "channel=c&channel=d&message=x", "more than once"),
    ("/publish", "%zz=1&&", "not valid form data"),
])
def test_every_bad_field_gets_a_400_saying_what_is_wrong(demo: DemoServer, path: str, body: str, words: str) -> None:
    status, answer, _ = call(demo, "POST", path, body)
    assert status == 400, answer
    assert words in answer["error"]


def test_wrong_requests_get_json_errors(demo: DemoServer) -> None:
    assert call(demo, "GET", "/nope")[0] == 404
    assert call(demo, "POST", "/nope", "")[0] == 404
    assert call(demo, "POST", "/publish", "{}", {"Content-Type": "application/json"})[0] == 415
    big = "channel=c&message=" + "x" * 20_000
    status, answer, _ = call(demo, "POST", "/publish", big)
    assert status == 413 and "bytes" in answer["error"]


def test_cross_origin_posts_and_foreign_hosts_are_refused(demo: DemoServer, hub: RedisPubSubHub) -> None:
    for headers in ({"Origin": "http://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}):
        status, answer, _ = call(demo, "POST", "/publish", "channel=orders:new&message=x", headers)
        assert status == 403, headers
    same_origin = {"Origin": f"http://127.0.0.1:{demo.server_port}"}
    assert call(demo, "POST", "/publish", "channel=orders:new&message=x", same_origin)[0] == 200
    assert hub.stats()["published_total"] == 1
    status, answer, _ = call(demo, "GET", "/state", headers={"Host": f"attacker.example:{demo.server_port}"})
    assert status == 403 and "not allowed" in answer["error"]
    assert call(demo, "GET", "/state", headers={"Host": f"localhost:{demo.server_port}"})[0] == 200


def test_a_half_sent_request_times_out_without_blocking_others(demo: DemoServer) -> None:
    stalled = socket.create_connection(("127.0.0.1", demo.server_port), timeout=5)
    stalled.sendall(b"POST /publish HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n")
    assert call(demo, "GET", "/state")[0] == 200, "other requests are served meanwhile"
    assert wait_until(lambda: _closed(stalled), timeout=5), "the server must drop a request that never completes"
    stalled.close()


def _closed(sock: socket.socket) -> bool:
    try:
        return sock.recv(4096) == b""
    except OSError:
        return True


def test_the_subscription_cap_is_a_clear_409(server: LocalRedis) -> None:
    hub = RedisPubSubHub(server=server, max_subscriptions=3)
    demo = DemoServer(hub, port=0).start()
    try:
        demo.playground.reset()
        status, answer, _ = call(demo, "POST", "/subscribe", "name=one-more&targets=c")
        assert status == 409 and "max_subscriptions" in answer["error"]
    finally:
        demo.close()
        hub.close()


def test_redis_down_is_a_503_and_the_demo_recovers(demo: DemoServer, hub: RedisPubSubHub, server: LocalRedis) -> None:
    os.kill(server.pid, signal.SIGKILL)
    assert wait_until(lambda: process_gone(server.pid))
    status, state, _ = call(demo, "GET", "/state")
    assert status == 503 and state["server"]["ok"] is False and "unreachable" in state["server"]["error"]
    assert call(demo, "POST", "/publish", "channel=orders:new&message=x")[0] == 503
    fresh = restart_on_same_port(server, down_for=0)
    try:
        assert wait_until(lambda: call(demo, "GET", "/state")[0] == 200, timeout=10)
        assert call(demo, "POST", "/publish", "channel=c&message=x")[0] == 200
    finally:
        fresh.kill()
        fresh.wait()


def test_faults_take_offline_kill_and_slow(demo: DemoServer, hub: RedisPubSubHub) -> None:
    assert call(demo, "POST", "/fault", "name=orders-listener&action=offline&seconds=1")[0] == 200
    sub = hub.get_subscription("orders-listener")
    assert sub.state == "offline"
    assert call(demo, "POST", "/publish", "channel=orders:new&message=lost")[1] == {"delivered": [0]}
    assert sub.wait_for_state("live", timeout=5), "back by itself after the offline time"
    assert call(demo, "POST", "/fault", "name=billing-listener&action=kill")[0] == 200
    assert hub.get_subscription("billing-listener").wait_for_counters(reconnects=1)
    assert call(demo, "POST", "/fault", "name=orders-listener&action=slow&ms=50")[0] == 200
    assert call(demo, "POST", "/fault", "name=nobody&action=kill")[0] == 400


def test_thirty_concurrent_pollers_are_served_without_stalls(demo: DemoServer) -> None:
    worst: list[float] = []
    failures: list[object] = []

    def poll() -> None:
        for _ in range(5):
            started = time.monotonic()
            status = call(demo, "GET", "/state")[0]
            worst.append(time.monotonic() - started)
            if status != 200:
                failures.append(status)

    pollers = [threading.Thread(target=poll) for _ in range(30)]
    for thread in pollers:
        thread.start()
    for thread in pollers:
        thread.join()
    assert not failures and len(worst) == 150
    assert max(worst) < 3.0, f"slowest poll took {max(worst):.1f} s"


def test_the_command_line_prints_where_it_listens_and_what_it_uses() -> None:
    port = str(_free())
    proc = subprocess.Popen([sys.executable, "-m", "pubsub_kit.demo", "--port", port], stdout=subprocess.PIPE,
                            text=True, env={**os.environ, "REDIS_URL": ""})
    try:
        lines = [proc.stdout.readline() for _ in range(3)]
        assert lines[0].strip() == f"pubsub_kit demo listening on http://127.0.0.1:{port}/"
        assert lines[1].startswith("Redis: a private server, ")
        assert ":***@127.0.0.1:" in lines[1], "the private server's password is never printed"
        assert lines[2].startswith("seeded 3 default subscriptions")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)


def _free() -> int:
    from pubsub_kit.local import free_port

    return free_port()
