"""Callbacks that unsubscribe each other return at once, and every other subscription keeps receiving."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from pubsub_kit import ReceivedMessage, RedisPubSubHub

from .conftest import wait_until
from .test_one_reader import hub_threads

SLOW = 0.005  # a callback this slow stays on a worker of its own (lane.py: 2 ms)


def mutual(hub: RedisPubSubHub, a_inline: bool) -> dict[str, float]:
    """A and B each unsubscribe the other from their callbacks, at the same moment; how long each call took."""
    entered = {"A": threading.Event(), "B": threading.Event()}
    took: dict[str, float] = {}

    def callback(me: str, other: str, slow: bool):
        def on_message(message: ReceivedMessage) -> None:
            if slow:
                threading.Event().wait(SLOW)
            if message.payload != "go":
                return
            entered[me].set()
            entered[other].wait(2)
            started = time.monotonic()
            hub.unsubscribe(other)
            took[me] = time.monotonic() - started
        return on_message

    a = hub.subscribe("A", "x", on_message=callback("A", "B", slow=not a_inline))
    b = hub.subscribe("B", "x", on_message=callback("B", "A", slow=True))
    for n in range(12):  # enough fast calls in a row for A to move inline, onto the reader
        hub.publish("x", n)
        assert a.wait_for(n + 1) and b.wait_for(n + 1, timeout=10)
    worker = f"pubsub_kit:{a.name}:callback"
    assert (worker not in hub_threads(hub)) == a_inline, hub_threads(hub)
    hub.publish("x", "go")
    assert wait_until(lambda: len(took) == 2, timeout=10), took
    assert a.state == b.state == "closed"
    return took


@pytest.mark.parametrize("a_inline", [True, False], ids=["inline-and-worker", "two-workers"])
def test_callbacks_that_unsubscribe_each_other_return_at_once_and_others_keep_receiving(
        hub: RedisPubSubHub, a_inline: bool) -> None:
    threads = threading.active_count()
    latencies: list[float] = []
    sent: dict[int, float] = {}
    other = hub.subscribe("other", "o", on_message=lambda m: latencies.append(time.monotonic() - sent[m.payload]))
    stop = threading.Event()

    def keep_publishing() -> None:
        n = 0
        while not stop.is_set():
            sent[n] = time.monotonic()
            hub.publish("o", n)
            n += 1
            stop.wait(0.002)

    publisher = threading.Thread(target=keep_publishing)
    publisher.start()
    try:
        took = mutual(hub, a_inline)
        threading.Event().wait(0.2)  # keep measuring the others a little after both calls returned
    finally:
        stop.set()
        publisher.join()
    assert max(took.values()) < 0.5, took
    assert hub.wait_until_delivered()
    assert other.counters()["received"] == len(sent) and len(latencies) == len(sent)
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99)]
    assert p99 < 0.5, f"p99 {p99 * 1000:.0f} ms for the other subscription while A and B closed each other"
    assert [s.name for s in hub.subscriptions()] == ["other"]
    for counters in (s.counters() for s in hub.subscriptions()):
        assert counters["last_error"] is None, counters["last_error"]
    hub.shutdown()
    assert threading.active_count() == threads, "the threads the callbacks could not join are joined now"


def test_unsubscribe_from_outside_still_waits_for_a_running_callback(hub: RedisPubSubHub) -> None:
    entered, release = threading.Event(), threading.Event()
    calls: list[Any] = []

    def stuck(message: ReceivedMessage) -> None:
        calls.append(message.payload)
        entered.set()
        release.wait(0.3)

    hub.subscribe("s", "c", on_message=stuck)
    hub.publish_many("c", [1, 2, 3])
    assert entered.wait(5)
    started = time.monotonic()
    assert hub.unsubscribe("s")
    assert time.monotonic() - started > 0.1, "it waited for the call in progress"
    count = len(calls)
    threading.Event().wait(0.2)
    assert len(calls) == count == 1, "no on_message call starts after unsubscribe() returned"
