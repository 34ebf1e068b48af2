"""The web demo in a real headless Chromium: the guide's flow, losses made visible, no XSS."""

from __future__ import annotations

from typing import Iterator

import pytest

from pubsub_kit import RedisPubSubHub
from pubsub_kit.demo import DemoServer

from .chromium import ARGS, ARTIFACTS, CHROMIUM, require_chromium
from .conftest import wait_until

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
def page(demo: DemoServer):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.dialogs = []
        page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(demo.url)
        page.wait_for_selector(".panel[data-name='orders-listener']")
        try:
            yield page
        except BaseException:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "demo-failure.png"), full_page=True)
            raise
        finally:
            browser.close()


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


def test_hostile_names_and_messages_render_as_text(page) -> None:
    subscribe(page, EVIL_NAME, "exact", "chat:lobby")
    evil = page.locator(".panel").filter(has_text="chat:lobby")
    assert wait_until(lambda: evil.count() == 1)
    publish(page, "chat:lobby", EVIL_MESSAGE)
    assert wait_until(lambda: evil.locator("li").count() == 1)
    assert evil.locator("h3").inner_text() == EVIL_NAME
    assert EVIL_MESSAGE in evil.locator("li").inner_text()
    assert page.locator("#subscribers img, #subscribers script").count() == 0
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
