"""reset_stats() keeps the books: received == handled + dropped + queued, before, during and after a backlog."""

from __future__ import annotations

import threading
from typing import Any

from pubsub_kit import ReceivedMessage, RedisPubSubHub

from .conftest import wait_until


def balanced(counts: dict[str, Any]) -> bool:
    return counts["received"] == counts["handled"] + counts["dropped"] + counts["queued"]


def test_reset_with_a_backlog_keeps_the_books_at_every_moment(hub: RedisPubSubHub) -> None:
    pause = threading.Event()
    sub = hub.subscribe("slow", "c", on_message=lambda m: pause.wait(0.002))
    samples: list[dict[str, Any]] = []
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.is_set():
            samples.append(sub.counters())

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        hub.publish_many("c", list(range(300)))
        assert wait_until(lambda: sub.received_total() == 300), "every message arrived, most still queued"
        hub.reset_stats()
        after_reset = sub.counters()
        assert after_reset["queued"] > 0, "the test needs a backlog at the reset"
        hub.publish_many("c", list(range(100)))
        assert sub.wait_for(after_reset["received"] + 100, timeout=15)
    finally:
        sampling.set()
        sampler.join()
    unbalanced = [s for s in samples if not balanced(s)]
    assert not unbalanced, unbalanced[:3]
    assert len(samples) > 100
    end = sub.counters()
    assert end["received"] == after_reset["received"] + 100, "the backlog counts once, in the new period"
    assert (end["handled"], end["dropped"], end["queued"]) == (end["received"], 0, 0)
    assert hub.stats()["received_total"] == end["received"] and hub.stats()["published_total"] == 100


def test_reset_received_alone_keeps_the_books_too(hub: RedisPubSubHub) -> None:
    release = threading.Event()
    sub = hub.subscribe("stuck", "c", on_message=lambda m: release.wait(10))
    hub.publish_many("c", list(range(5)))
    assert wait_until(lambda: sub.counters()["queued"] == 5)
    sub.reset_received()
    counts = sub.counters()
    assert (counts["received"], counts["handled"], counts["queued"]) == (5, 0, 5) and sub.messages() == []
    release.set()
    assert sub.wait_for(5)
    assert balanced(sub.counters()) and sub.counters()["handled"] == 5


def test_queue_peak_is_the_most_messages_held_at_once(hub: RedisPubSubHub) -> None:
    entered, release = threading.Event(), threading.Event()

    def stuck(message: ReceivedMessage) -> None:
        entered.set()
        release.wait(10)

    with RedisPubSubHub(url=hub.url, max_queue=3) as capped:
        sub = hub.subscribe("held", "c", on_message=stuck)
        small = capped.subscribe("capped", "c", on_message=stuck)
        hub.publish("c", 0)
        assert entered.wait(5)
        hub.publish_many("c", [1, 2, 3, 4])
        assert wait_until(lambda: sub.received_total() == 5 and small.received_total() == 5)
        assert sub.counters()["queued"] == sub.counters()["queue_peak"] == 5, "one in the call, four waiting"
        assert small.counters()["queue_peak"] == 3 and small.counters()["dropped"] == 2, "max_queue caps it"
        release.set()
        assert sub.wait_for(5) and small.wait_for(5)
        assert (sub.counters()["queued"], sub.counters()["queue_peak"]) == (0, 5), "the peak stays"
        hub.reset_stats()
        assert sub.counters()["queue_peak"] == 0
        quick = hub.subscribe("quick", "d", on_message=lambda m: None)
        for n in range(20):  # each handled before the next is sent: on a worker at first, then inline
            hub.publish("d", n)
            assert quick.wait_for(n + 1)
        assert quick.counters()["queue_peak"] == 1
