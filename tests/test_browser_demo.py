"""The web demo in a real headless Chromium: the guide's flow, losses made visible, no XSS."""

from __future__ import annotations

import os
import re
import signal
from typing import Iterator

import pytest
import redis

from pubsub_kit import LocalRedis, RedisPubSubHub
from pubsub_kit.demo import DemoServer

from .chromium import ARGS, ARTIFACTS, CHROMIUM, require_chromium
from .conftest import wait_until
from .prefix_proxy import PrefixProxy

sync_api = require_chromium()
pytestmark = pytest.mark.browser
EVIL_NAME = "<img src=x onerror=alert(1)>"
EVIL_MESSAGE = "<script>alert(1)</script>"


@pytest.fixture
def demo(hub: RedisPubSubHub) -> Iterator[DemoServer]:
    server = DemoServer(hub, port=0).start()
    server.playground.reset()
    yield server
    server.close()


@pytest.fixture
def browser():
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser, url: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(url)
    page.wait_for_selector(".panel[data-name='orders-listener']")
    return page


@pytest.fixture
def page(demo: DemoServer, browser):
    page = open_page(browser, demo.url)
    try:
        yield page
    except BaseException:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "demo-failure.png"), full_page=True)
        raise


def panel(page, name: str):
    return page.locator(f".panel[data-name='{name}']")


def subscribe(page, name: str, kind: str, targets: str) -> None:
    page.fill("#subscribe-form [name=name]", name)
    page.select_option("#subscribe-form [name=kind]", kind)
    page.fill("#subscribe-form [name=targets]", targets)
    page.click("#subscribe-form button")


def publish(page, channel: str, message: str, copies: int = 1) -> None:
    page.fill("#publish-form [name=channel]", channel)
    page.fill("#publish-form [name=message]", message)
    page.fill("#publish-form [name=copies]", str(copies))
    page.click("#publish-form button")


def test_pattern_subscriber_sees_three_copies_and_the_table_agrees(page) -> None:
    subscribe(page, "audit", "pattern", "orders:*")
    page.wait_for_selector(".panel[data-name='audit']")
    publish(page, "orders:new", '{"id": 7}', copies=3)
    assert wait_until(lambda: panel(page, "audit").locator("li").count() == 3)
    assert panel(page, "audit").locator("li").first.inner_text() == 'orders:new: {"id":7}'
    row = page.locator("#channels-table tbody tr").first
    assert wait_until(lambda: row.locator("td").all_inner_texts() == ["orders:new", "3", "6", "6", "0"])
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "demo-page.png"), full_page=True)


def test_a_subscriber_taken_offline_shows_its_loss(page) -> None:
    listener = panel(page, "orders-listener")
    publish(page, "orders:new", '"before"')  # gaps are counted from the first message a subscriber sees
    assert wait_until(lambda: listener.locator("li").count() == 1)
    listener.locator("button", has_text="Offline 5 s").click()
    assert wait_until(lambda: listener.locator(".state").inner_text() == "offline")
    publish(page, "orders:new", '"while away"')
    assert wait_until(lambda: listener.locator(".state").inner_text() == "live", timeout=10)
    publish(page, "orders:new", '"back"')
    assert wait_until(lambda: "gaps 1" in listener.locator(".counters").inner_text())
    assert listener.locator("li").all_inner_texts() == ['orders:new: "back"', 'orders:new: "before"']


def test_hostile_names_and_messages_render_as_text(page, hub: RedisPubSubHub, admin: redis.Redis) -> None:
    admin.publish("notifications:" + EVIL_NAME, EVIL_MESSAGE)  # a foreign publisher's channel name
    notified = panel(page, "all-notifications").locator("li")
    assert wait_until(lambda: notified.count() == 1)
    assert notified.inner_text() == f'notifications:{EVIL_NAME}: "{EVIL_MESSAGE}"'
    subscribe(page, EVIL_NAME, "exact", "chat:lobby")
    evil = page.locator(".panel").filter(has_text="chat:lobby")
    assert wait_until(lambda: evil.count() == 1)
    publish(page, "chat:lobby", EVIL_MESSAGE)
    assert wait_until(lambda: evil.locator("li").count() == 1)
    assert evil.locator("h3").inner_text() == EVIL_NAME
    assert EVIL_MESSAGE in evil.locator("li").inner_text()
    assert page.locator("#subscribers img, #subscribers script, #channels-table img").count() == 0
    assert page.dialogs == []


def test_a_post_from_another_origin_is_refused(page, demo: DemoServer, hub: RedisPubSubHub) -> None:
    other = page.context.browser.new_context().new_page()
    other.goto("data:text/html,<p>some other site</p>")
    other.evaluate(
        """url => fetch(url, {method: "POST", mode: "no-cors",
                              body: new URLSearchParams({channel: "orders:new", message: "forged"})})
                 .catch(() => null)""",
        demo.url + "publish",
    )
    assert hub.stats()["published_total"] == 0


def counters(page, name: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r"(\w+) (\d+)", panel(page, name).locator(".counters").inner_text())}


def chart_text(page) -> str:
    """The SVG the page's chart image shows right now (fetched the way the image was)."""
    return page.evaluate("""async () => {
        const img = document.querySelector("#chart");
        await img.decode();
        return (await fetch(img.src)).text();
    }""")


def chart_loaded(page, other_than: str | None = None) -> bool:
    """The chart image shows a loaded picture (``complete`` turns false while a new ``src`` loads)."""
    return page.evaluate("""(before) => {
        const img = document.querySelector("#chart");
        return img.getAttribute("src") !== before && img.complete && img.naturalWidth > 0;
    }""", other_than)


def test_the_chart_and_panels_update_after_publish(page) -> None:
    before = page.locator("#chart").get_attribute("src")
    publish(page, "orders:new", '{"id": 1}', copies=3)
    assert wait_until(lambda: counters(page, "orders-listener").get("handled") == 3)
    assert wait_until(lambda: chart_loaded(page, other_than=before), timeout=10), "a new chart loads and renders"
    assert wait_until(lambda: 'class="bar delivered"' in chart_text(page) and 'data-value="3"' in chart_text(page),
                      timeout=3)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "demo-chart.png"), full_page=True)


def test_slow_callback_shows_its_backlog_as_the_queue_peak(page) -> None:
    """End states only (received, handled, the queue's peak), never a queue length that lasts under a second."""
    listener = panel(page, "orders-listener")
    with page.expect_response(lambda r: r.url.endswith("/fault") and r.status == 200):
        listener.locator("button", has_text="Slow callback").click()  # the server has it before we publish
    publish(page, "orders:new", '"first"', copies=10)
    assert wait_until(lambda: counters(page, "orders-listener").get("handled") == 10, timeout=30), \
        counters(page, "orders-listener")
    first = counters(page, "orders-listener")
    assert (first["received"], first["dropped"], first["queued"]) == (10, 0, 0) and first["peak"] >= 5, first
    publish(page, "orders:new", '"second"', copies=20)
    assert wait_until(lambda: counters(page, "orders-listener").get("handled") == 30, timeout=45), \
        counters(page, "orders-listener")
    end = counters(page, "orders-listener")
    assert (end["received"], end["dropped"], end["queued"]) == (30, 0, 0) and end["peak"] >= 15, end


def test_polls_do_not_pile_up_while_redis_is_frozen(page, server: LocalRedis) -> None:
    in_flight: set[object] = set()  # by request, so one already running when we start listening never counts
    worst: list[int] = [0]
    answered: list[int] = [0]

    def started(request) -> None:
        if request.url.endswith("/state"):
            in_flight.add(request)
            worst[0] = max(worst[0], len(in_flight))

    def ended(request) -> None:
        if request in in_flight:
            in_flight.discard(request)
            answered[0] += 1

    page.on("request", started)
    page.on("requestfinished", ended)
    page.on("requestfailed", ended)
    os.kill(server.pid, signal.SIGSTOP)
    try:
        answered[0] = 0
        assert wait_until(lambda: page.evaluate("1") and answered[0] >= 3, timeout=30), "polls continue, slowly"
        assert page.locator("#banner").is_visible()
    finally:
        os.kill(server.pid, signal.SIGCONT)
    assert worst[0] == 1, f"{worst[0]} polls were in flight at once"
    assert wait_until(lambda: page.evaluate("1") and not page.locator("#banner").is_visible(), timeout=15)


def test_the_page_works_behind_a_path_prefix(demo: DemoServer, browser) -> None:
    proxy = PrefixProxy(demo.server_port)
    try:
        page = open_page(browser, proxy.url)
        publish(page, "orders:new", '"via the proxy"')
        assert wait_until(lambda: panel(page, "orders-listener").locator("li").count() == 1)
        assert wait_until(lambda: chart_loaded(page), timeout=10)
        page.close()
    finally:
        proxy.close()
