"""Room mode on loopback: thirty learners, each its own ACL user, one facilitator, exact counts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
import redis

from pubsub_kit.room import LearnerHub, Room, RoomJoinError, RoomPermissionError, join_room
from pubsub_kit.room.join import saved_password
from pubsub_kit.room.roster import room_snapshot
from pubsub_kit.room.simulate import simulate

from .conftest import ROOM_LEARNERS, process_gone, wait_until

def reports_from_everyone(room: Room, hubs: list[LearnerHub]) -> dict:
    """Ask, then wait until each learner's answer is newer than the question."""
    for hub in hubs:
        assert hub.wait_until_delivered()
    assert room.fresh_reports(timeout=10), "every connected learner answers a report request"
    return room_snapshot(room)


def test_thirty_learners_join_each_as_their_own_user(room: Room, learners: list[LearnerHub]) -> None:
    users = {u.decode() if isinstance(u, bytes) else u for u in room.admin.acl_users()}
    assert {f"learner-{n:02d}" for n in range(1, ROOM_LEARNERS + 1)} <= users
    assert {"lobby", "default"} <= users and len(users) == ROOM_LEARNERS + 2
    assert set(room.connections()) >= {hub.learner for hub in learners}


def test_one_publish_reaches_every_learner_and_publish_says_so(room: Room, learners: list[LearnerHub]) -> None:
    counts = [room.publish("room:news", {"n": n}) for n in range(5)]
    assert counts == [ROOM_LEARNERS] * 5, "PUBLISH counts one delivery per learner subscribed to room:news"
    snap = reports_from_everyone(room, learners)
    rows = {row["name"]: row for row in snap["learners"]}
    assert len(rows) == ROOM_LEARNERS and all(row["received"] == 5 and row["missed"] == 0 for row in rows.values())
    assert snap["room"]["connected"] == ROOM_LEARNERS and snap["facilitator"]["last_publish"]["returned"] == ROOM_LEARNERS


def test_a_pattern_subscriber_counts_twice_and_learners_chat_through_inboxes(room: Room) -> None:
    alice, bob = simulate(room, 2, channels=("room:news",), patterns=("room:*",))
    try:
        bob.subscribe("inbox", "learner-02:inbox")
        assert room.publish("room:news", "both") == 4, "two learners, each exact + pattern: four copies"
        assert alice.publish("learner-02:inbox", "hi bob") == 1
        assert bob.get_subscription("inbox").wait_for(1)
        assert bob.get_subscription("inbox").messages()[0].payload == "hi bob"
    finally:
        alice.close()
        bob.close()


@pytest.mark.parametrize("call, lacks", [
    (lambda hub: hub.redis.config_get("maxmemory"), "config|get"),
    (lambda hub: hub.redis.execute_command("CLIENT", "KILL", "ID", "1"), "client|kill"),
    (lambda hub: hub.redis.flushall(), "flushall"),
    (lambda hub: hub.redis.keys("*"), "keys"),
], ids=["CONFIG GET", "CLIENT KILL", "FLUSHALL", "KEYS"])
def test_a_learner_cannot_run_admin_commands(room: Room, call, lacks: str) -> None:
    (hub,) = simulate(room, 1, channels=())
    try:
        with pytest.raises(redis.exceptions.NoPermissionError, match=lacks.replace("|", r"\|")):
            call(hub)
    finally:
        hub.close()


def test_a_learner_cannot_read_another_learners_channels_and_is_told_why(room: Room) -> None:
    alice, bob = simulate(room, 2, channels=())
    try:
        with pytest.raises(RoomPermissionError, match="the channel 'learner-02:inbox' is not one of yours"):
            alice.subscribe("spy", "learner-02:inbox")
        with pytest.raises(RoomPermissionError, match="not one of yours"):
            alice.psubscribe("spy-all", "*")
        with pytest.raises(RoomPermissionError, match="the command CLIENT KILL is not allowed"):
            alice.kill_connection("room-report")
        assert alice.publish("learner-02:inbox", "allowed") == 0, "anyone may publish to an inbox"
    finally:
        alice.close()
        bob.close()


def test_a_wrong_room_code_and_a_taken_name_are_refused_with_what_to_do(room: Room, learners: list) -> None:
    with pytest.raises(RoomJoinError, match="room code .* is wrong"):
        join_room(room.join_line.replace(room.code, "WRONG234"), "carol")
    with pytest.raises(ValueError, match="cannot be used"):
        join_room(room.join_line, "Not A Name")
    saved_password(room.server.host, room.server.port, room.code, "learner-01").unlink()   # another laptop, same name
    with pytest.raises(RoomJoinError, match="taken by a connected laptop"):
        join_room(room.join_line, "learner-01")


def test_a_learner_kept_away_mid_stream_shows_exactly_what_it_missed(room: Room, learners: list) -> None:
    away = learners[3]
    room.publish("room:news", "before")
    room.away(away.learner)
    assert away.get_subscription("class").wait_for_state("reconnecting")
    for n in range(3):
        assert room.publish("room:news", n) == ROOM_LEARNERS - 1
    room.back(away.learner)
    assert away.get_subscription("class").wait_for_state("live", timeout=10)
    room.publish("room:news", "after")
    snap = reports_from_everyone(room, learners)
    rows = {row["name"]: row for row in snap["learners"]}
    assert rows[away.learner]["missed"] == 3 and rows[away.learner]["missed_ids"] == [
        "room:news#2", "room:news#3", "room:news#4"]
    assert sum(row["missed"] for row in rows.values()) == 3, "only the learner who was away missed anything"


KILLED_LEARNER = """
import sys, threading
from pubsub_kit.room import LearnerHub, join_room
hub = LearnerHub(join_room(sys.argv[1], "killed"), "killed")
hub.subscribe("class", "room:news")
print("ready", flush=True)
threading.Event().wait()
"""


def test_a_learner_killed_mid_stream_shows_as_gone_and_missing_what_followed(room: Room, learners: list) -> None:
    proc = subprocess.Popen([sys.executable, "-c", KILLED_LEARNER, room.join_line], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        room.publish("room:news", "seen")
        reports_from_everyone(room, learners)
        assert wait_until(lambda: "killed" in room.learners()[1])
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        assert wait_until(lambda: not room.connections().get("killed"), timeout=10)
        for n in range(4):
            room.publish("room:news", n)
        row = next(r for r in room_snapshot(room)["learners"] if r["name"] == "killed")
        assert not row["connected"] and row["missed"] == 4 and row["missed_since_last_report"] == 4
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_closing_the_room_stops_its_server_and_every_learner_notices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    room = Room()
    (hub,) = simulate(room, 1)
    pid = room.server.pid
    room.close()
    assert wait_until(lambda: process_gone(pid), timeout=5)
    assert hub.get_subscription("class").wait_for_state("reconnecting", timeout=5)
    hub.close()


@pytest.mark.parametrize("payload", [
    '"just text"', '{"subscriptions": "nope"}', '{"subscriptions": [{"by_channel": {"room:news": -5}, '
    '"missed": [["x", "room:news", 9, 1], "bad"], "channels": "<b>"}]}', '{"published": 1e400}',
    '{"subscriptions": [' + ",".join(['{"channels": ["room:x"]}'] * 5000) + "]}",
], ids=["text", "wrong-type", "bad-fields", "huge-number", "too-big"])
def test_a_hostile_report_cannot_break_or_fool_the_projector(room: Room, payload: str) -> None:
    (hub,) = simulate(room, 1)
    try:
        room.publish("room:news", "one")
        reports_from_everyone(room, [hub])
        hub.redis.publish("stats:learner-01", payload)   # only learner-01 may publish here: it does, badly
        hub.redis.publish("stats:learner-01", payload)
        assert hub.wait_until_delivered()
        room.hub.wait_until_delivered()
        row = room_snapshot(room)["learners"][0]
        assert row["missed"] == 0 and row["received"] in (0, 1) and row["published"] in (0, 1)
        import json
        json.dumps(room_snapshot(room), allow_nan=False)
    finally:
        hub.close()
