"""The facilitator's room page in a real headless Chromium, with thirty simulated learners."""

from __future__ import annotations

import pytest

from pubsub_kit.room import Room
from pubsub_kit.room.page import RoomPage

from .chromium import ARGS, ARTIFACTS, CHROMIUM, require_chromium
from .conftest import ROOM_LEARNERS, wait_until

sync_api = require_chromium()
pytestmark = pytest.mark.browser


@pytest.fixture
def page(room: Room, learners: list):
    server = RoomPage(room, port=0).start()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1400})
        try:
            page.goto(server.url + "room")
            yield page
        except BaseException:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "room-failure.png"), full_page=True)
            raise
        finally:
            browser.close()
            server.close()


def row(page, name: str):
    return page.locator("tr.room-learner", has_text=name)


def all_learners_shown(page) -> None:
    page.locator("tr.room-learner").nth(ROOM_LEARNERS - 1).wait_for(timeout=15_000)


def column(page, number: int) -> list[str]:
    return page.locator(f"tr.room-learner td:nth-child({number})").all_text_contents()


def test_the_page_shows_every_learner_and_what_publish_reached(page, room: Room) -> None:
    all_learners_shown(page)
    assert page.locator("#join-line").text_content() == room.join_line
    assert room.server.password not in page.content(), "the server's own password never reaches the page"
    page.click("#publish-form button")
    page.locator("#summary", has_text=f"reached {ROOM_LEARNERS} subscriptions").wait_for(timeout=15_000)
    assert wait_until(lambda: column(page, 4) == ["1"] * ROOM_LEARNERS, timeout=15), column(page, 4)
    assert f"{ROOM_LEARNERS} of {ROOM_LEARNERS} learners connected" in page.locator("#summary").text_content()


def test_a_learner_kept_away_turns_red_with_the_ids_it_missed(page, room: Room, learners: list) -> None:
    all_learners_shown(page)
    away = learners[6].get_subscription("class")
    room.publish("room:news", "before")
    room.away("learner-07")
    assert away.wait_for_state("reconnecting")
    for n in range(2):
        room.publish("room:news", n)
    room.back("learner-07")
    assert away.wait_for_state("live", timeout=10)
    room.publish("room:news", "after")
    away = row(page, "learner-07")
    away.locator("td", has_text="room:news#2, room:news#3").wait_for(timeout=15_000)
    assert "missed" in (away.get_attribute("class") or "")
    assert row(page, "learner-08").locator("td").nth(4).text_content() == "0"
