"""Callback lanes are bounded in bytes, and a reader of the redis.io guide finds its names."""

from __future__ import annotations

import threading

import redis

from pubsub_kit import LocalRedis, ReceivedMessage, RedisPubSubHub
from pubsub_kit.demo import DemoServer

from .conftest import wait_until
from .test_demo_http import call


def test_a_slow_callback_holds_at_most_max_queue_bytes_including_its_batch(server: LocalRedis) -> None:
    release = threading.Event()
    entered = threading.Event()

    def stuck(message: ReceivedMessage) -> None:
        entered.set()
        release.wait(10)

    with RedisPubSubHub(server=server, max_queue_bytes=100_000) as hub:
        sub = hub.subscribe("slow", "c", on_message=stuck)
        hub.publish("c", "first")
        assert entered.wait(5), "the worker holds its batch"
        hub.publish_many("c", ["x" * 10_000] * 50)
        assert wait_until(lambda: sub.received_total() == 51)
        counts = sub.counters()
        assert counts["queued_bytes"] <= 100_000 and counts["queued"] <= 10
        assert counts["dropped"] >= 51 - 10
        release.set()
        assert sub.wait_for(51)
        counts = sub.counters()
        assert counts["handled"] + counts["dropped"] == 51 and counts["queued_bytes"] == 0


def test_one_message_bigger_than_the_budget_still_passes_an_empty_lane(server: LocalRedis) -> None:
    got: list[int] = []
    with RedisPubSubHub(server=server, max_queue_bytes=1_000) as hub:
        sub = hub.subscribe("s", "c", on_message=lambda m: got.append(len(m.payload)))
        hub.publish("c", "y" * 5_000)
        assert sub.wait_for(1) and got == [5_000] and sub.counters()["dropped"] == 0


def test_stats_carry_the_guides_keys(hub: RedisPubSubHub, admin: redis.Redis) -> None:
    hub.psubscribe("all-notifications", ["notifications:*"])
    hub.psubscribe("orders-audit", ["orders:*", "notifications:*"])
    sub = hub.subscribe("orders-listener", ["orders:new"])
    hub.publish("orders:new", {"id": 1})
    hub.publish_many("notifications:email", [1, 2])
    assert hub.wait_until_delivered()
    stats = hub.stats()
    assert stats["channel_published"] == {"orders:new": 1, "notifications:email": 2}
    assert stats["pattern_subscriptions"] == admin.pubsub_numpat() == 2
    data = sub.to_dict()
    assert data["received_total"] == sub.received_total() == 1
    assert all("received_total" in s for s in stats["subscriptions"])


def test_the_demo_accepts_the_guides_form_fields(demo: DemoServer, hub: RedisPubSubHub) -> None:
    status, body, _ = call(demo, "POST", "/subscribe", "name=guide-exact&kind=channel&target=chat:lobby,chat:news")
    assert status == 201, body
    assert hub.get_subscription("guide-exact").channels == ("chat:lobby", "chat:news")
    status, body, _ = call(demo, "POST", "/subscribe", "name=guide-pattern&kind=pattern&target=chat:*")
    assert status == 201 and hub.get_subscription("guide-pattern").patterns == ("chat:*",)
    status, body, _ = call(demo, "POST", "/publish", "channel=chat:lobby&message=hi&count=3")
    assert status == 200 and body["delivered"] == [2, 2, 2]
    status, body, _ = call(demo, "POST", "/subscribe", "name=ours&kind=exact&targets=chat:lobby")
    assert status == 201, "our own field names still work"
    status, body, _ = call(demo, "POST", "/publish", "channel=c&message=hi&count=2&copies=2")
    assert status == 400 and "not both" in body["error"]
    status, body, _ = call(demo, "POST", "/subscribe", "name=x&kind=channel")
    assert status == 400 and "targets is required" in body["error"]
