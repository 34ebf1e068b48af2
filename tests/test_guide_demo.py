"""The redis.io guide's demo flow runs on our hub, Reset included (a stand-in app: tests/guide_demo.py)."""

from __future__ import annotations

import http.client
import json
import threading
import time
from typing import Any, Iterator

import pytest

from pubsub_kit import RedisPubSubHub
from pubsub_kit.messages import unwrap

from .conftest import wait_until
from .guide_demo import GuideStyleDemo


@pytest.fixture
def demo(hub: RedisPubSubHub) -> Iterator[GuideStyleDemo]:
    server = GuideStyleDemo(hub)
    yield server
    server.close()


def call(demo: GuideStyleDemo, method: str, path: str, form: str = "") -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", demo.port, timeout=10)
    try:
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if method == "POST" else {}
        conn.request(method, path, body=form or None, headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def subscription(demo: GuideStyleDemo, name: str) -> dict[str, Any]:
    status, body = call(demo, "GET", "/stats")
    assert status == 200
    return next(s for s in body["subscriptions"] if s["name"] == name)


def test_the_guides_demo_flow_runs_on_our_hub_reset_included(demo: GuideStyleDemo) -> None:
    status, body = call(demo, "GET", "/stats")
    assert status == 200 and body["stats"]["active_subscriptions"] == 3
    assert body["stats"]["pattern_subscriptions"] == 1

    status, body = call(demo, "POST", "/publish", "channel=orders:new&message=hello&count=3")
    assert (status, body) == (200, {"delivered": [1, 1, 1]})
    assert wait_until(lambda: subscription(demo, "orders-listener")["received_total"] == 3)
    message = subscription(demo, "orders-listener")["messages"][0]
    assert message["payload"]["text"] == "hello" and isinstance(message["payload"]["sent_at"], str), \
        "a datetime goes as text, as in the guide"
    assert type(message["received_at_ms"]) is int

    assert call(demo, "POST", "/subscribe", "name=audit&kind=pattern&target=orders:*,billing:*")[0] == 200
    assert call(demo, "POST", "/subscribe", "name=twice&kind=channel&target=dup:chan,dup:chan")[0] == 200, \
        "a target listed twice counts once, as Redis and the guide accept it"
    status, body = call(demo, "POST", "/subscribe", "name=audit&kind=channel&target=x")
    assert status == 400 and "already exists" in body["error"]
    status, body = call(demo, "POST", "/subscribe", "name=typo&kind=pattern&target=orders:[new")
    assert status == 400 and "unclosed '['" in body["error"], "refused on purpose: lesson 03 shows why"
    status, body = call(demo, "POST", "/publish", "channel=orders:new&message=again&count=1")
    assert (status, body) == (200, {"delivered": [2]})
    assert call(demo, "POST", "/publish", "channel=dup:chan&message=once&count=1")[1] == {"delivered": [1]}
    assert call(demo, "POST", "/unsubscribe", "name=audit") == (200, {"removed": True})
    assert call(demo, "POST", "/unsubscribe", "name=audit") == (404, {"removed": False})

    for _ in range(3):  # Reset, as often as a visitor clicks it
        status, body = call(demo, "POST", "/reset")
        assert (status, sorted(body["subscriptions"])) == (200, ["all-notifications", "billing-listener",
                                                                 "orders-listener"])
        status, body = call(demo, "GET", "/stats")
        stats = body["stats"]
        assert (stats["published_total"], stats["received_total"], stats["active_subscriptions"]) == (0, 0, 3)
        assert all(s["received_total"] == 0 and s["messages"] == [] for s in body["subscriptions"])
        status, body = call(demo, "POST", "/publish", "channel=notifications:email&message=hi&count=2")
        assert (status, body) == (200, {"delivered": [1, 1]})
        assert wait_until(lambda: subscription(demo, "all-notifications")["received_total"] == 2)


def test_polls_during_a_reset_all_answer(demo: GuideStyleDemo) -> None:
    statuses: list[int] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            statuses.append(call(demo, "GET", "/stats")[0])

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        for _ in range(5):
            assert call(demo, "POST", "/reset")[0] == 200
    finally:
        stop.set()
        poller.join()
    assert statuses and set(statuses) == {200}
    assert call(demo, "POST", "/publish", "channel=orders:new&message=x&count=1")[1] == {"delivered": [1]}


def test_what_redis_cli_sees_is_the_envelope_whose_data_is_the_message(hub: RedisPubSubHub, admin: Any) -> None:
    """README: a plain subscriber (redis-cli, redis-py) sees the envelope; ``unwrap`` takes the message out."""
    plain = admin.pubsub(ignore_subscribe_messages=True)
    plain.psubscribe("orders:*")
    try:
        assert hub.publish("orders:new", {"id": 1}) == 1
        deadline = time.monotonic() + 5
        message = None
        while message is None and time.monotonic() < deadline:
            message = plain.get_message(timeout=1)  # None also for the psubscribe confirmation it skips
        assert message is not None, "the plain subscriber got nothing"
        raw = message["data"]
        assert json.loads(raw)["data"] == {"id": 1} and json.loads(raw)["kit"]["seq"] == 1
        assert unwrap(raw).payload == {"id": 1}
    finally:
        plain.close()
