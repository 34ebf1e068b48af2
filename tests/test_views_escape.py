"""Hostile channel names, subscriber names and payloads render as text in every view the kit draws.

A channel name comes from whoever can PUBLISH to the server; a pattern
subscriber lists it. Rendered as HTML in JupyterLab it would run script with
the power to start code in the kernel.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Iterator

import pytest
import redis

from pubsub_kit import RedisPubSubHub, tables
from pubsub_kit.chart import chart_svg
from pubsub_kit.dashboard import Dashboard
from pubsub_kit.snapshot import snapshot
from pubsub_kit.widgets import GlobExplorer, OutageLab

from .conftest import wait_until

CHANNEL = "ev:<img src=x onerror=alert(1)>"
NAME = "<script>alert('name')</script>"
PAYLOAD = '<img src=x onerror=alert("payload")>'
TABLE_TAGS = {"table", "thead", "tbody", "tr", "th", "td", "style"}


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]


def assert_text_only(markup: str, allowed: set[str]) -> None:
    parser = _Markup()
    parser.feed(markup)
    assert parser.tags <= allowed, f"unexpected tags {parser.tags - allowed} in {markup[:300]}"
    assert not parser.handlers, f"event handler attributes {parser.handlers}"


@pytest.fixture
def hostile(hub: RedisPubSubHub, admin: redis.Redis) -> Iterator[RedisPubSubHub]:
    """A hub whose pattern subscriber received a hostile channel and payload from a foreign publisher."""
    hub.psubscribe(NAME, "ev:*", on_message=lambda m: None)
    hub.publish(CHANNEL, PAYLOAD)
    admin.publish(CHANNEL + "-foreign", PAYLOAD)
    assert wait_until(lambda: hub.get_subscription(NAME).received_total() == 2)
    hub.wait_until_delivered()
    yield hub


def test_tables_and_their_styler_escape_values_and_indexes(hostile: RedisPubSubHub) -> None:
    stats = hostile.stats()
    channels, subscribers = tables.channel_table(stats), tables.subscriber_table(stats)
    assert CHANNEL in channels.index and NAME in subscribers.index
    for frame in (channels, subscribers):
        assert_text_only(frame.to_html(), TABLE_TAGS)
        assert_text_only(frame._repr_html_(), TABLE_TAGS | {"div"})
        assert_text_only(tables.highlight(frame, left="received", right="received").to_html(), TABLE_TAGS)
    styled = tables.highlight(channels).to_html()
    assert "&lt;img src=x onerror=alert(1)&gt;" in styled
    across = channels.T  # hostile channel names in the column index
    assert_text_only(tables.highlight(across, left=CHANNEL, right=CHANNEL).to_html(), TABLE_TAGS)


def test_the_glob_explorer_and_outage_lab_escape_names(hub: RedisPubSubHub) -> None:
    explorer = GlobExplorer(hub, [CHANNEL, "ev:ok"])
    assert explorer.add_pattern("ev:*")
    assert "&lt;img" in explorer.grid.value
    assert_text_only(explorer.grid.value, TABLE_TAGS)
    hub.subscribe(NAME, CHANNEL)
    lab = OutageLab(hub, NAME, CHANNEL)
    lab.publish(2)
    assert_text_only(lab.table.value, TABLE_TAGS)
    assert "&lt;script&gt;" in lab.table.value


def test_every_html_widget_of_the_dashboard_escapes(hostile: RedisPubSubHub) -> None:
    board = Dashboard(hostile, refresh_s=0.05, seed_defaults=True)
    try:
        board.playground.subscribe(NAME + "2", "exact", CHANNEL)
        board.playground.publish(CHANNEL, PAYLOAD)
        hostile.wait_until_delivered()
        board.refresh()
        values = _html_values(board.view)
        assert any("&lt;img src=x onerror=alert(1)&gt;" in v for v in values), "the hostile channel is shown, as text"
        assert any("&lt;script&gt;" in v for v in values), "the hostile name is shown, as text"
        for value in values:
            assert_text_only(value, {"b", "span", "table", "tr", "th", "td", "ol", "li", "i", "svg", "g", "rect", "text"})
    finally:
        board.close()


def _html_values(widget) -> list[str]:
    found = [widget.value] if type(widget).__name__ == "HTML" else []
    for child in getattr(widget, "children", ()):
        found += _html_values(child)
    return found


def test_the_chart_escapes_labels(hostile: RedisPubSubHub) -> None:
    svg = chart_svg(snapshot(hostile))
    assert_text_only(svg, {"svg", "g", "rect", "text"})
    assert "&lt;img" in svg and "&lt;script&gt;" in svg


def test_state_previews_are_text_for_the_page(hostile: RedisPubSubHub) -> None:
    sub = next(s for s in snapshot(hostile)["hub"]["subscriptions"] if s["name"] == NAME)
    assert {m["channel"] for m in sub["messages"]} == {CHANNEL, CHANNEL + "-foreign"}
    assert all(m["preview"] == '"<img src=x onerror=alert(\\"payload\\")>"' for m in sub["messages"])
