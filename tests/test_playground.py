"""One controller for both live views, and one definition of a subscriber's kind."""

from __future__ import annotations

import pytest

from pubsub_kit import RedisPubSubHub, tables
from pubsub_kit.dashboard import Dashboard
from pubsub_kit.demo import DemoServer
from pubsub_kit.playground import Playground, parse_message
from pubsub_kit.snapshot import kind_of, snapshot


def test_both_views_act_through_a_playground(hub: RedisPubSubHub) -> None:
    board = Dashboard(hub, refresh_s=0.05)
    demo = DemoServer(hub, port=0)
    try:
        assert isinstance(board.playground, Playground) and isinstance(demo.playground, Playground)
        demo.playground.subscribe("from-the-page", "pattern", "chat:*")
        board.refresh()
        assert "from-the-page" in board._panels, "what one view does, the other shows"
    finally:
        demo.close()
        board.close()


def test_reset_drops_everything_and_seeds_the_defaults(hub: RedisPubSubHub) -> None:
    playground = Playground(hub)
    try:
        hub.subscribe("mine", "x")
        playground.publish("x", "hello", copies=2)
        playground.reset()
        assert [s.name for s in hub.subscriptions()] == ["orders-listener", "billing-listener", "all-notifications"]
        assert hub.stats()["published_total"] == 0
        assert playground.seed_defaults() == [], "defaults already there are not added twice"
    finally:
        playground.close()


def test_slow_refuses_a_subscriber_it_did_not_create(hub: RedisPubSubHub) -> None:
    playground = Playground(hub)
    try:
        hub.subscribe("mine", "x", on_message=lambda m: None)
        with pytest.raises(ValueError, match="not added from this view"):
            playground.slow("mine", 100)
        playground.subscribe("ours", "exact", "x")
        playground.slow("ours", 100)
        with pytest.raises(ValueError, match="already exists"):
            playground.subscribe("mine", "exact", "y")
    finally:
        playground.close()


@pytest.mark.parametrize("text, payload", [
    ('{"id": 1}', {"id": 1}), ("plain words", "plain words"), ("[" * 5000 + "]" * 5000, "[" * 5000 + "]" * 5000),
])
def test_form_text_becomes_json_or_stays_text(text: str, payload: object) -> None:
    assert parse_message(text) == payload


def test_one_kind_for_tables_snapshot_and_page(hub: RedisPubSubHub) -> None:
    hub.subscribe("both", "orders:new", patterns="orders:*")
    hub.psubscribe("globs", "notifications:*")
    hub.subscribe("plain", "billing:invoice")
    stats = hub.stats()
    from_table = tables.subscriber_table(stats)["kind"].to_dict()
    from_snapshot = {s["name"]: s["kind"] for s in snapshot(hub)["hub"]["subscriptions"]}
    assert from_table == from_snapshot == {"both": "exact + pattern", "globs": "pattern", "plain": "exact"}
    assert kind_of({"shard_channels": ["a"]}) == "sharded"
