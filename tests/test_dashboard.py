"""The dashboard widget in the kernel: built once, quiet when idle, honest about slow callbacks."""

from __future__ import annotations

import re
import time
from typing import Iterator

import ipywidgets as widgets
import pytest
import redis
import traitlets
from ipywidgets.widgets.widget import _instances

from pubsub_kit import RedisPubSubHub
from pubsub_kit._views import Refresher
from pubsub_kit.dashboard import CHART_EVERY_S, Dashboard

from .conftest import wait_until

IDLE_MINUTE_AT_5_HZ = 300


@pytest.fixture
def dash(hub: RedisPubSubHub) -> Iterator[Dashboard]:
    board = Dashboard(hub, refresh_s=0.05)
    yield board
    board.close()


def _tree(widget: widgets.Widget) -> list[widgets.Widget]:
    children = getattr(widget, "children", ())
    return [widget, *(w for child in children for w in _tree(child))]


def _counters(dash: Dashboard, name: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r"(\w+) (\d+)", dash._panels[name].counters.value)}


def test_an_idle_dashboard_creates_no_widgets_and_sends_no_updates(dash: Dashboard, hub: RedisPubSubHub) -> None:
    dash.playground.publish("orders:new", '{"id": 1}', copies=3)
    hub.wait_until_delivered()
    # The chart redraws at most every CHART_EVERY_S: let it catch up with the burst first.
    assert wait_until(lambda: (dash.refresh(), 'data-value="3"' in dash.chart.value)[1], timeout=5)
    changes: list[str] = []
    for widget in list(_instances.values()):
        widget.observe(lambda change: changes.append(f"{type(change['owner']).__name__}.{change['name']}"),
                       names=traitlets.All)
    models = len(_instances)
    for _ in range(IDLE_MINUTE_AT_5_HZ):  # a minute of the refresher's ticks, without waiting a minute
        dash.refresh()
    assert wait_until(lambda: dash._refresher.thread.is_alive(), timeout=1)
    assert len(_instances) == models, "an idle refresh must not create widget models"
    assert changes == [], f"an idle dashboard must send no widget updates, sent {changes[:5]}"


def test_a_panel_is_built_once_and_closed_with_its_subscriber(dash: Dashboard) -> None:
    first = dash._panels["orders-listener"]
    for _ in range(20):
        dash.refresh()
    assert dash._panels["orders-listener"] is first
    models = len(_instances)
    for round_ in range(5):
        dash.playground.subscribe(f"temp-{round_}", "pattern", "chat:*")
        dash.refresh()
        assert f"temp-{round_}" in dash._panels
        panel = dash._panels[f"temp-{round_}"]
        dash.playground.unsubscribe(f"temp-{round_}")
        dash.refresh()
        assert f"temp-{round_}" not in dash._panels and panel.view.comm is None
    assert len(_instances) == models, "every model a panel made is closed with it"


def test_close_closes_every_widget_it_made(hub: RedisPubSubHub) -> None:
    before = len(_instances)
    board = Dashboard(hub, refresh_s=0.05)
    assert len(_instances) > before
    board.close()
    assert len(_instances) == before
    assert not board._refresher.thread.is_alive()


def test_the_learners_subscriptions_are_kept(hub: RedisPubSubHub) -> None:
    hub.subscribe("mine", "orders:new")
    board = Dashboard(hub, refresh_s=0.05)
    try:
        assert [s.name for s in hub.subscriptions()] == ["mine"], "a hub with subscriptions is not seeded"
    finally:
        board.close()
    board = Dashboard(hub, refresh_s=0.05, seed_defaults=True)
    try:
        assert [s.name for s in hub.subscriptions()] == ["mine", "orders-listener", "billing-listener",
                                                          "all-notifications"]
        assert list(board._panels) == [s.name for s in hub.subscriptions()]
    finally:
        board.close()


def test_an_empty_hub_gets_the_three_defaults(dash: Dashboard, hub: RedisPubSubHub) -> None:
    assert [s.name for s in hub.subscriptions()] == ["orders-listener", "billing-listener", "all-notifications"]


def test_a_slow_callback_shows_as_a_growing_queue(dash: Dashboard, hub: RedisPubSubHub) -> None:
    panel = dash._panels["orders-listener"]
    slow = next(b for b in _tree(panel.view) if isinstance(b, widgets.Button) and b.description == "Slow callback")
    slow.click()
    assert panel.error.value == ""
    dash.playground.publish("orders:new", '"first batch"', copies=10)
    assert wait_until(lambda: _counters(dash, "orders-listener")["queued"] >= 5, timeout=5), panel.counters.value
    seen = _counters(dash, "orders-listener")["queued"]
    dash.playground.publish("orders:new", '"second batch"', copies=20)
    assert wait_until(lambda: _counters(dash, "orders-listener")["queued"] > seen, timeout=5), panel.counters.value
    counts = _counters(dash, "orders-listener")
    assert counts["received"] == 30 and counts["handled"] + counts["queued"] == 30


def test_the_chart_follows_publishes_at_most_twice_a_second(dash: Dashboard, hub: RedisPubSubHub) -> None:
    assert 'data-value="' not in dash.chart.value or "nothing yet" in dash.chart.value
    redraws: list[float] = []
    dash.chart.observe(lambda _: redraws.append(time.monotonic()), names="value")
    end = time.monotonic() + 2.0
    while time.monotonic() < end:  # publish as fast as possible: the chart must not follow every message
        dash.playground.publish("orders:new", '"tick"')
        dash.refresh()
    assert wait_until(lambda: 'class="bar delivered"' in dash.chart.value, timeout=2)
    gaps = [b - a for a, b in zip(redraws, redraws[1:])]
    assert len(redraws) <= 2.0 / CHART_EVERY_S + 2 and all(g >= CHART_EVERY_S * 0.9 for g in gaps), gaps
    hub.wait_until_delivered()
    published = hub.stats()["published_total"]
    assert wait_until(lambda: f'data-value="{published}"' in dash.chart.value, timeout=3), "the last state is drawn"


def test_a_failing_refresh_is_shown_and_the_next_tick_runs() -> None:
    ticks: list[int] = []
    shown: list[str] = []

    def tick() -> None:
        ticks.append(1)
        if len(ticks) == 1:
            raise redis.ConnectionError("server gone")

    refresher = Refresher(tick, 0.01, shown.append, "dashboard")
    try:
        assert wait_until(lambda: len(ticks) >= 3), "the thread survives a failing tick"
    finally:
        refresher.stop()
    assert shown == ["dashboard refresh failed: ConnectionError: server gone"]
    assert not refresher.thread.is_alive()
