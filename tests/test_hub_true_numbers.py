"""Every gap and duplicate the hub reports is real: concurrent publishers, timeouts, shutdown."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
import redis

from pubsub_kit import HubClosedError, LocalRedis, RedisPubSubHub

from .conftest import wait_until


def run_threads(count: int, work) -> None:
    errors: list[BaseException] = []

    def guarded(index: int) -> None:
        try:
            work(index)
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads) and not errors, errors


def test_three_threads_publishing_to_one_channel_leave_no_false_gaps_or_duplicates(hub: RedisPubSubHub) -> None:
    sub = hub.subscribe("orders-listener", "orders:new")
    run_threads(3, lambda i: [hub.publish("orders:new", {"thread": i, "n": n}) for n in range(1500)])
    assert hub.wait_until_delivered(timeout=10)
    counts = sub.counters()
    assert counts["received"] == 4500
    assert (counts["gaps"], counts["duplicates"]) == (0, 0), counts["missed_ids"]
    assert hub.stats()["channel_published"] == {"orders:new": 4500}


def test_threads_mixing_publish_and_publish_many_keep_send_order(hub: RedisPubSubHub) -> None:
    sub = hub.subscribe("s", "c")

    def work(index: int) -> None:
        for n in range(150):
            if index % 2:
                hub.publish_many("c", [index, n, "batch"])
            else:
                hub.publish("c", [index, n])

    run_threads(4, work)
    assert hub.wait_until_delivered(timeout=10)
    counts = sub.counters()
    assert counts["received"] == 2 * 150 + 2 * 150 * 3
    assert (counts["gaps"], counts["duplicates"]) == (0, 0), counts["missed_ids"]


def test_a_publish_to_a_frozen_server_is_unknown_not_unsent_and_leaves_no_duplicate(
    hub: RedisPubSubHub, server: LocalRedis
) -> None:
    sub = hub.subscribe("s", "c")
    hub.publish("c", 1)
    os.kill(server.pid, signal.SIGSTOP)
    try:
        with pytest.raises(redis.ConnectionError) as caught:
            hub.publish("c", 2)
    finally:
        os.kill(server.pid, signal.SIGCONT)
    text = str(caught.value)
    assert "may or may not have been delivered" in text and "was not sent" not in text
    assert hub.publish("c", 3) == 1
    assert hub.wait_until_delivered()
    counts = sub.counters()
    assert [m.payload for m in sub.messages()] == [3, 2, 1], "Redis ran the frozen publish once it woke up"
    assert (counts["duplicates"], counts["gaps"]) == (0, 0)
    stats = hub.stats()
    assert (stats["publish_unknown"], stats["publish_errors"]) == (1, 0)
    assert stats["last_publish_error"] == text


def test_a_refused_connection_is_a_definite_failure_and_gives_the_number_back(server: LocalRedis) -> None:
    with RedisPubSubHub(server=server) as hub:
        sub = hub.subscribe("s", "c")
        hub.publish("c", 1)
        closed = RedisPubSubHub(url="redis://127.0.0.1:1")  # nothing listens on port 1
        with pytest.raises(redis.ConnectionError, match="The message was not sent"):
            closed.publish("c", "never")
        stats = closed.stats()
        assert (stats["publish_errors"], stats["publish_unknown"]) == (1, 0)
        assert stats["pattern_subscriptions"] is None, "unknown while Redis does not answer"
        closed.close()
        hub.publish("c", 2)
        assert sub.wait_for(2) and sub.counters()["gaps"] == 0


def test_using_a_hub_after_close_names_the_close(server: LocalRedis) -> None:
    hub = RedisPubSubHub(server=server)
    hub.close()
    for call in (lambda: hub.publish("c", 1), lambda: hub.publish_many("c", [1]),
                 lambda: hub.subscribe("s", "c"), lambda: hub.psubscribe("p", "c*"),
                 lambda: hub.active_channels(), lambda: hub.kill_connection("s")):
        with pytest.raises(HubClosedError, match="was closed"):
            call()
    hub.shutdown()
    hub.close()
    assert hub.subscriptions() == [] and hub.stats()["published_total"] == 0
    assert hub.stats()["pattern_subscriptions"] is None


def test_subscribe_on_a_frozen_server_fails_fast_naming_the_server(hub: RedisPubSubHub, server: LocalRedis) -> None:
    hub.publish("c", 0)
    os.kill(server.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        with pytest.raises(redis.TimeoutError) as caught:
            hub.subscribe("late", "c")
        elapsed = time.monotonic() - started
    finally:
        os.kill(server.pid, signal.SIGCONT)
    assert elapsed < 5, f"took {elapsed:.1f} s"
    text = str(caught.value)
    assert f"127.0.0.1:{server.port}" in text and "frozen" in text and "redis-cli" in text
    assert hub.get_subscription("late") is None
    assert wait_until(lambda: hub.subscribe("late", "c").state == "live")


def test_error_texts_never_show_the_password(server: LocalRedis) -> None:
    with RedisPubSubHub(url="redis://:hunter2@127.0.0.1:1/0") as hub:
        with pytest.raises(redis.ConnectionError) as caught:
            hub.publish("c", 1)
        assert "hunter2" not in str(caught.value) and "hunter2" not in repr(hub)
        assert ":***@" in str(caught.value)
