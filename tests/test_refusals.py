"""A publish refused before a byte is written is not a loss: no sequence number spent, counted as not sent."""

from __future__ import annotations

import datetime
import decimal
import math
import uuid
from typing import Any, Callable, Iterator

import pytest
import redis

from pubsub_kit import LocalRedis, RedisPubSubHub, Subscription

from .conftest import wait_until


@pytest.fixture
def listener(server: LocalRedis) -> Iterator[Subscription]:
    """A subscriber on a hub of its own, so it sees every message of the hub under test."""
    with RedisPubSubHub(server=server) as other:
        yield other.subscribe("listener", "c")


def circular() -> list[Any]:
    loop: list[Any] = []
    loop.append(loop)
    return loop


REFUSALS = [
    pytest.param(lambda h: h.publish("c", "bad \udcff"), ValueError, r"message 'bad \\udcff' holds '\\udcff'",
                 id="lone-surrogate-in-text"),
    pytest.param(lambda h: h.publish("c", {"k\udcff": 1}), ValueError, "lone surrogate", id="lone-surrogate-in-key"),
    pytest.param(lambda h: h.publish_many("c", [1, "bad \udcff"]), ValueError, r"'bad \\udcff'",
                 id="lone-surrogate-in-a-batch"),
    pytest.param(lambda h: h.publish("c", {"v": math.nan}), ValueError, r"message \{'v': nan\}.*non-finite",
                 id="nan"),
    pytest.param(lambda h: h.publish("c", [math.inf]), ValueError, "non-finite", id="infinity"),
    pytest.param(lambda h: h.publish("c", {(1, 2): "x"}), TypeError, r"message \{\(1, 2\): 'x'\}.*keys must be",
                 id="tuple-key"),
    pytest.param(lambda h: h.publish("c", circular()), ValueError, "circular reference", id="circular"),
    pytest.param(lambda h: h.publish("c\udcff", 1), ValueError, r"channel 'c\\udcff' holds", id="channel-surrogate"),
    pytest.param(lambda h: h.publish(b"c", 1), TypeError, "channel must be a str", id="channel-bytes"),
]


@pytest.mark.parametrize("refused, error, words", REFUSALS)
def test_a_refused_publish_names_the_value_and_the_next_one_shows_no_gap(
        server: LocalRedis, listener: Subscription, refused: Callable[[RedisPubSubHub], Any], error: type,
        words: str) -> None:
    with RedisPubSubHub(server=server) as hub:
        assert hub.publish("c", 1) == 1
        with pytest.raises(error, match=words) as caught:
            refused(hub)
        assert '"kit"' not in str(caught.value) and "position" not in str(caught.value), "never the envelope"
        assert hub.publish("c", 2) == 1
        assert wait_until(lambda: listener.received_total() == 2)
        counts = listener.counters()
        assert (counts["gaps"], counts["duplicates"]) == (0, 0) and listener.missed() == []
        assert [m.seq for m in listener.messages()] == [2, 1]
        stats = hub.stats()
        assert (stats["published_total"], stats["publish_errors"], stats["publish_unknown"]) == (2, 1, 0)
        assert stats["last_publish_error"] == str(caught.value)


def test_a_connection_redis_refuses_to_set_up_gives_the_number_back(server: LocalRedis, admin: redis.Redis,
                                                                     listener: Subscription) -> None:
    """The publisher's connection is cut, and its reconnect fails inside the handshake (SELECT refused
    by an ACL), a ResponseError before PUBLISH is written: not sent, and its number is given back."""
    admin.acl_setuser("pub", enabled=True, passwords=["+pub-secret"], keys=["*"], channels=["*"],
                      commands=["+@all"])
    url = f"redis://pub:pub-secret@127.0.0.1:{server.port}/1"
    with RedisPubSubHub(url=url) as hub:
        assert hub.publish("c", 1) == 1
        admin.acl_setuser("pub", enabled=True, commands=["-select"])
        assert admin.client_kill_filter(user="pub") >= 1
        with pytest.raises(redis.ConnectionError, match="The message was not sent") as caught:
            hub.publish("c", 2)
        assert "pub-secret" not in str(caught.value)
        admin.acl_setuser("pub", enabled=True, commands=["+select"])
        assert hub.publish("c", 3) == 1
        assert wait_until(lambda: listener.received_total() == 2)
        assert listener.counters()["gaps"] == 0 and [m.payload for m in listener.messages()] == [3, 1]
        assert [m.seq for m in listener.messages()] == [2, 1], "the refused number was given back"
        stats = hub.stats()
        assert (stats["publish_errors"], stats["publish_unknown"]) == (1, 0)


def test_what_json_has_no_type_for_is_sent_as_text_like_the_guide(hub: RedisPubSubHub) -> None:
    sub = hub.subscribe("s", "c")
    when = datetime.datetime(2024, 5, 1, 12, 30, tzinfo=datetime.timezone.utc)
    order = {"at": when, "total": decimal.Decimal("12.50"), "id": uuid.UUID(int=7), "tags": frozenset(["a"])}
    assert hub.publish("c", order) == 1
    assert sub.wait_for(1)
    assert sub.messages()[0].payload == {"at": str(when), "total": "12.50", "id": str(uuid.UUID(int=7)),
                                         "tags": "frozenset({'a'})"}
    assert hub.stats()["publish_errors"] == 0
