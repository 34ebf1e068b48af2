"""Nothing a foreign publisher sends stops a reader, and every view stays strict JSON."""

from __future__ import annotations

import http.client
import json

import pytest
import redis

from pubsub_kit import ReceivedMessage, RedisPubSubHub
from pubsub_kit.demo import DemoServer
from pubsub_kit.snapshot import snapshot

DEEP = b"[" * 100_000 + b"]" * 100_000
ENVELOPE = b'{"kit":{"hub":%s,"seq":%s,"ts":%s},"data":%s}'
HOSTILE = {
    "deep-array": DEEP,
    "deep-in-envelope": ENVELOPE % (b'"h"', b"1", b"1", DEEP),
    "nan": b"NaN",
    "infinity": b"-Infinity",
    "huge-float": b"1e999",
    "huge-int": b"9" * 5000,
    "nan-inside": b'{"price": NaN}',
    "hub-not-text": ENVELOPE % (b"5", b"1", b"1", b"1"),
    "seq-text": ENVELOPE % (b'"h"', b'"x"', b"1", b"1"),
    "seq-infinite": ENVELOPE % (b'"h"', b"1e999", b"1", b"1"),
    "seq-true": ENVELOPE % (b'"h"', b"true", b"1", b"1"),
    "seq-float": ENVELOPE % (b'"h"', b"2.5", b"1", b"1"),
    "ts-text": ENVELOPE % (b'"h"', b"1", b'"now"', b"1"),
    "kit-not-object": b'{"kit":5,"data":1}',
    "non-utf8": b"\xff\xfe\xfd not utf-8",
}


def strict(document: object) -> str:
    """Serialise as a strict JSON parser (a browser's JSON.parse) would need it."""
    return json.dumps(document, allow_nan=False)


def test_reader_survives_every_hostile_payload_and_later_messages_arrive(
    hub: RedisPubSubHub, admin: redis.Redis
) -> None:
    handled: list[ReceivedMessage] = []
    sub = hub.subscribe("s", "c", on_message=handled.append)
    watcher = hub.psubscribe("watcher", "c*")
    for payload in HOSTILE.values():
        assert admin.publish("c", payload) == 2
    assert hub.publish("c", {"after": True}) == 2
    assert hub.wait_until_delivered(timeout=10)
    assert handled[-1].payload == {"after": True} and len(handled) == len(HOSTILE) + 1
    for s in (sub, watcher):
        counts = s.counters()
        assert s.is_alive() and s.state == "live"
        assert counts["received"] == len(HOSTILE) + 1
        assert counts["foreign"] == len(HOSTILE), "hostile envelopes are not trusted as the hub's"
        assert (counts["gaps"], counts["duplicates"], counts["disconnects"]) == (0, 0, 0)
        assert counts["decode_errors"] >= 2 + 8, "deep nesting, non-UTF-8 and bad envelopes say why"
    by_name = dict(zip(HOSTILE, handled))
    assert "nested too deeply" in by_name["deep-array"].decode_error
    assert "malformed pubsub_kit envelope" in by_name["seq-infinite"].decode_error
    assert by_name["nan"].payload == "NaN", "not JSON a browser accepts, so kept as text"


def test_stats_snapshot_and_to_dict_are_strict_json_whatever_arrived(hub: RedisPubSubHub, admin: redis.Redis) -> None:
    sub = hub.subscribe("s", "c")
    for payload in (b"NaN", b"Infinity", b"1e999", b"[" * 900 + b"]" * 900, b"\xff", DEEP):
        admin.publish("c", payload)
    hub.publish("c", "after")
    assert hub.wait_until_delivered()
    assert sub.received_total() == 7
    strict(hub.stats())
    strict(sub.to_dict())
    strict(snapshot(hub))
    assert all(isinstance(m.to_dict()["payload"], (str, list)) for m in sub.messages())


def test_demo_state_is_strict_json_after_hostile_payloads(hub: RedisPubSubHub, admin: redis.Redis) -> None:
    demo = DemoServer(hub, port=0).start()
    try:
        hub.subscribe("s", "c")
        for payload in (b"NaN", b"[" * 900 + b"]" * 900, b'{"v": -Infinity}'):
            admin.publish("c", payload)
        assert hub.wait_until_delivered()
        conn = http.client.HTTPConnection("127.0.0.1", demo.server_port, timeout=10)
        conn.request("GET", "/state")
        response = conn.getresponse()
        body = response.read()
        conn.close()
        assert response.status == 200

        def refuse(name: str) -> None:
            raise ValueError(f"{name} in /state")

        state = json.loads(body, parse_constant=refuse)
        assert state["hub"]["subscriptions"][0]["received"] == 3
    finally:
        demo.close()


@pytest.mark.parametrize("value", [float("nan"), float("inf")], ids=["nan", "inf"])
def test_a_received_message_shows_a_non_json_payload_as_text(value: float) -> None:
    shown = ReceivedMessage("c", None, {"v": value}, 0.0).to_dict()
    assert isinstance(shown["payload"], str) and strict(shown)
