"""The guide's API, and the evidence it adds: counts, gaps, duplicates, foreign messages."""

from __future__ import annotations

import math
import time

import pytest
import redis

from pubsub_kit import ReceivedMessage, RedisPubSubHub, Subscription, SubscriptionLimitError, glob_match
from pubsub_kit.tracking import OTHER


def test_guide_example_runs_unchanged(hub: RedisPubSubHub) -> None:
    seen: list[ReceivedMessage] = []
    hub.subscribe("orders-listener", ["orders:new"])
    hub.psubscribe("all-notifications", ["notifications:*"], on_message=seen.append)
    assert hub.publish("orders:new", {"order_id": 42, "total": 9.5}) == 1
    assert hub.publish("notifications:email", {"to": "ada@example.com"}) == 1
    assert hub.wait_until_delivered()
    listing = {sub.name: [m.payload for m in sub.messages()] for sub in hub.subscriptions()}
    assert listing == {
        "orders-listener": [{"order_id": 42, "total": 9.5}],
        "all-notifications": [{"to": "ada@example.com"}],
    }
    assert seen[0].channel == "notifications:email" and seen[0].pattern == "notifications:*"
    assert hub.get_subscription("orders-listener").is_pattern is False
    assert hub.unsubscribe("orders-listener") is True
    assert hub.unsubscribe("orders-listener") is False
    hub.shutdown()
    assert hub.subscriptions() == []


def test_publish_returns_how_many_clients_redis_delivered_to(hub: RedisPubSubHub) -> None:
    assert hub.publish("chat:lobby", "hi") == 0
    hub.subscribe("first", "chat:lobby")
    assert hub.publish("chat:lobby", "hi") == 1
    hub.subscribe("second", "chat:lobby")
    assert hub.publish("chat:lobby", "hi") == 2


def test_publish_counts_pattern_and_exact_as_two_deliveries(hub: RedisPubSubHub) -> None:
    exact = hub.subscribe("exact", "orders:new")
    pattern = hub.psubscribe("pattern", "orders:*")
    assert hub.publish("orders:new", {"id": 1}) == 2
    assert hub.wait_until_delivered()
    assert exact.messages()[0].kind == "message"
    assert pattern.messages()[0].kind == "pmessage"
    assert hub.stats()["delivered_total"] == 2


def test_one_client_holding_both_bindings_gets_two_copies_flagged_as_duplicates(hub: RedisPubSubHub) -> None:
    both = hub.subscribe("both", ["orders:new"], patterns=["orders:*"])
    assert hub.publish("orders:new", {"id": 7}) == 2
    assert both.wait_for(2)
    assert [m.kind for m in both.messages()] == ["pmessage", "message"]
    assert both.counters()["duplicates"] == 1
    assert hub.stats()["duplicates_total"] == 1


def test_messages_are_newest_first_and_bounded_by_buffer_size(server) -> None:
    with RedisPubSubHub(server=server, buffer_size=3) as hub:
        sub = hub.subscribe("s", "c")
        hub.publish_many("c", list(range(10)))
        assert sub.wait_for(10)
        assert [m.payload for m in sub.messages()] == [9, 8, 7]
        assert [m.payload for m in sub.messages(limit=2)] == [9, 8]
        assert sub.received_total() == 10


def test_reset_received_starts_counting_again(hub: RedisPubSubHub) -> None:
    sub = hub.subscribe("s", "c")
    hub.publish("c", 1)
    assert sub.wait_for(1)
    sub.reset_received()
    assert sub.received_total() == 0 and sub.messages() == []
    hub.publish("c", 2)
    assert sub.wait_for(1)
    assert sub.received_total() == 1


def test_publish_many_is_one_pipeline_with_one_count_per_message(hub: RedisPubSubHub, admin: redis.Redis) -> None:
    sub = hub.subscribe("s", "bulk")
    admin.config_resetstat()
    assert hub.publish_many("bulk", [{"n": i} for i in range(100)]) == [1] * 100
    assert sub.wait_for(100)
    assert [m.seq for m in reversed(sub.messages(limit=5))] == [96, 97, 98, 99, 100]
    assert sub.counters()["gaps"] == 0
    assert admin.info("commandstats")["cmdstat_publish"]["calls"] == 100


def test_subscriber_names_the_exact_messages_it_missed_while_offline(hub: RedisPubSubHub) -> None:
    sub = hub.subscribe("flaky", "orders:new")
    assert hub.publish("orders:new", 1) == 1
    assert hub.take_offline("flaky")
    assert sub.state == "offline"
    assert hub.publish_many("orders:new", [2, 3, 4]) == [0, 0, 0]
    assert hub.bring_online("flaky")
    assert hub.publish("orders:new", 5) == 1
    assert sub.wait_for(2)
    assert [m.payload for m in sub.messages()] == [5, 1]
    counts = sub.counters()
    assert counts["gaps"] == 3
    assert counts["missed_ids"] == ["orders:new#2", "orders:new#3", "orders:new#4"]
    assert [(run.first_seq, run.last_seq) for run in sub.missed()] == [(2, 4)]
    assert counts["reconnects"] == 1 and counts["disconnects"] == 0


def test_foreign_publishers_are_delivered_as_they_are_and_flagged(hub: RedisPubSubHub, admin: redis.Redis) -> None:
    sub = hub.subscribe("s", "chat:lobby")
    admin.publish("chat:lobby", "hello from redis-cli")
    admin.publish("chat:lobby", '{"json": true}')
    assert sub.wait_for(2)
    newest, oldest = sub.messages()
    assert oldest.payload == "hello from redis-cli" and oldest.foreign
    assert newest.payload == {"json": True} and newest.foreign
    assert sub.counters()["foreign"] == 2


def test_introspection_counts_what_redis_counts(hub: RedisPubSubHub) -> None:
    hub.subscribe("a", ["orders:new", "billing:invoice"])
    hub.subscribe("b", "orders:new")
    hub.psubscribe("p1", "notifications:*")
    hub.psubscribe("p2", "notifications:*")
    assert hub.active_channels() == ["billing:invoice", "orders:new"]
    assert hub.active_channels("orders:*") == ["orders:new"]
    assert hub.channel_subscriber_counts(["orders:new", "notifications:email"]) == {
        "orders:new": 2,
        "notifications:email": 0,
    }
    assert hub.pattern_subscriber_count() == 1, "NUMPAT counts unique patterns, not clients"


def test_stats_add_up_and_reset(hub: RedisPubSubHub) -> None:
    hub.subscribe("a", "c")
    hub.psubscribe("b", "c*")
    hub.publish_many("c", ["x", "y"])
    assert hub.wait_until_delivered()
    stats = hub.stats()
    assert (stats["published_total"], stats["delivered_total"], stats["received_total"]) == (2, 4, 4)
    assert stats["channels"] == {"c": {"published": 2, "delivered": 4}}
    assert [s["name"] for s in stats["subscriptions"]] == ["a", "b"]
    hub.reset_stats()
    stats = hub.stats()
    assert (stats["published_total"], stats["delivered_total"], stats["received_total"]) == (0, 0, 0)
    hub.publish("c", "z")
    assert hub.wait_until_delivered()
    assert hub.stats()["gaps_total"] == 0, "a reset must not invent gaps"


def test_to_dict_is_plain_data(hub: RedisPubSubHub) -> None:
    sub = hub.subscribe("s", "c")
    hub.publish("c", {"k": [1, 2]})
    assert sub.wait_for(1)
    data = sub.to_dict()
    assert data["name"] == "s" and data["targets"] == ["c"] and data["state"] == "live"
    message = data["messages"][0]
    assert message["payload"] == {"k": [1, 2]} and message["channel"] == "c"
    assert message["foreign"] is False and message["seq"] == 1
    assert type(message["received_at_ms"]) is int, "whole milliseconds, as in the guide"
    assert abs(message["received_at_ms"] - time.time() * 1000) < 60_000
    assert set(ReceivedMessage("c", None, 1, 0).to_dict()) >= {"channel", "pattern", "payload", "received_at_ms"}


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda h: h.subscribe("", "c"), ValueError, "name is empty"),
        (lambda h: h.subscribe(" x ", "c"), ValueError, "spaces"),
        (lambda h: h.subscribe("x", []), ValueError, "no channels or patterns"),
        (lambda h: h.subscribe("x", ""), ValueError, "channel is empty"),
        (lambda h: h.psubscribe("x", "orders:[ab"), ValueError, "unclosed '\\['"),
        (lambda h: h.psubscribe("x", "orders\\"), ValueError, "lone backslash"),
        (lambda h: h.subscribe("x", "c", on_message="print"), TypeError, "callable"),
        (lambda h: h.subscribe(3, "c"), TypeError, "name must be a str"),
        (lambda h: h.publish("c", {(1, 2): 3}), TypeError, "cannot be encoded as JSON"),
        (lambda h: h.publish("c", {"v": math.nan}), ValueError, "non-finite"),
        (lambda h: h.publish("c", math.inf), ValueError, "non-finite"),
        (lambda h: h.publish("", 1), ValueError, "channel is empty"),
        (lambda h: h.publish(b"c", 1), TypeError, "channel must be a str"),
        (lambda h: h.publish_many("c", [1, {b"k": 1}]), TypeError, "cannot be encoded as JSON"),
    ],
)
def test_bad_input_says_what_to_fix(hub: RedisPubSubHub, call, error, words) -> None:
    with pytest.raises(error, match=words):
        call(hub)
    assert hub.subscriptions() == []
    assert hub.stats()["published_total"] == 0


def test_duplicate_subscription_name_is_refused(hub: RedisPubSubHub) -> None:
    hub.subscribe("dup", "c")
    with pytest.raises(ValueError, match="already exists"):
        hub.subscribe("dup", "d")


def test_a_target_listed_twice_counts_once_as_redis_does(hub: RedisPubSubHub, admin: redis.Redis) -> None:
    sub = hub.subscribe("dup", ["dup:chan", "dup:chan", "other"], patterns=["dup:*", "dup:*"])
    assert (sub.channels, sub.patterns) == (("dup:chan", "other"), ("dup:*",))
    assert admin.pubsub_numsub("dup:chan") == [(b"dup:chan", 1)]
    assert hub.publish("dup:chan", 1) == 2, "one exact and one pattern delivery, as Redis counts them"
    assert sub.wait_for(2) and sub.counters()["duplicates"] == 1


def test_max_subscriptions_raises_a_helpful_error(server) -> None:
    with RedisPubSubHub(server=server, max_subscriptions=2) as hub:
        hub.subscribe("a", "c")
        hub.subscribe("b", "c")
        with pytest.raises(SubscriptionLimitError, match="max_subscriptions"):
            hub.subscribe("c", "c")
        assert hub.publish("c", 1) == 2


def test_subscriptions_never_draw_from_the_publishers_pool(hub: RedisPubSubHub, admin: redis.Redis) -> None:
    hub.publish("c", 0)
    pool = hub.redis.connection_pool
    before = len(pool._available_connections) + len(pool._in_use_connections)
    for i in range(5):
        hub.subscribe(f"s{i}", "c")
    assert len(pool._available_connections) + len(pool._in_use_connections) == before
    names = [c["name"] for c in admin.client_list()]
    assert sorted(n for n in names if n.startswith("pubsub_kit:")) == [f"pubsub_kit:s{i}" for i in range(5)]


def test_per_channel_counters_are_capped_with_an_other_row(hub: RedisPubSubHub) -> None:
    hub._publisher.channels.cap = 5
    for i in range(8):
        hub.publish(f"c{i}", i)
    rows = hub.stats()["channels"]
    assert len(rows) == 6
    assert rows[OTHER] == {"published": 3, "delivered": 0}


def test_message_buffer_is_bounded_by_bytes(server) -> None:
    with RedisPubSubHub(server=server, buffer_size=50, max_buffer_bytes=10_000) as hub:
        sub = hub.subscribe("s", "big")
        hub.publish_many("big", ["x" * 3000] * 10)
        assert sub.wait_for(10)
        kept = sub.messages()
        assert 1 <= len(kept) <= 3
        assert sum(m.size for m in kept) <= 10_000


@pytest.mark.parametrize(
    "pattern, channel, matches",
    [
        ("orders:*", "orders:new", True),
        ("orders:*", "billing:new", False),
        ("h?llo", "hello", True),
        ("h[ae]llo", "hallo", True),
        ("h[ae]llo", "hillo", False),
        ("h[^e]llo", "hallo", True),
        ("h[^e]llo", "hello", False),
        ("h[!e]llo", "hallo", False),
        ("h[!e]llo", "h!llo", True),
        ("h[a-c]llo", "hbllo", True),
        ("news\\*", "news*", True),
        ("news\\*", "newsx", False),
        ("*", "", True),
    ],
)
def test_glob_match_agrees_with_redis(hub: RedisPubSubHub, admin: redis.Redis, pattern: str, channel: str, matches: bool) -> None:
    assert glob_match(pattern, channel) is matches
    if channel:
        sub = hub.psubscribe("p", pattern)
        assert admin.publish(channel, "x") == int(matches)
        sub.close()


def test_subscription_is_exported_for_type_hints(hub: RedisPubSubHub) -> None:
    assert isinstance(hub.subscribe("s", "c"), Subscription)


def test_messages_delivered_just_before_going_offline_are_still_read(hub: RedisPubSubHub) -> None:
    sub = hub.subscribe("s", "c")
    assert hub.publish_many("c", list(range(200))) == [1] * 200
    assert hub.take_offline("s")
    assert hub.publish("c", "while away") == 0
    assert hub.bring_online("s")
    assert hub.publish("c", "back") == 1
    assert sub.wait_for(201)
    counts = sub.counters()
    assert counts["gaps"] == 1 and counts["missed_ids"] == ["c#201"]


def test_wait_for_counters_refuses_unknown_names(hub: RedisPubSubHub) -> None:
    sub = hub.subscribe("s", "c")
    with pytest.raises(ValueError, match="unknown counters"):
        sub.wait_for_counters(reconects=1)
