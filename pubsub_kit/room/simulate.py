"""Simulated learners: real laptops' worth of hubs, each its own ACL user, joined the real way.

The room lesson and the tests need a class without a class: each simulated
learner joins through the lobby like a laptop would, gets its own user and its
own connections, and subscribes as the lesson asks.
"""

from __future__ import annotations

from typing import Iterable

from .facilitator import Room
from .join import join_room
from .learner import LearnerHub


def simulate(room: Room, count: int, *, channels: Iterable[str] = ("room:news",), patterns: Iterable[str] = (),
             prefix: str = "learner") -> list[LearnerHub]:
    """``count`` learners named ``learner-01`` …, each subscribed to ``channels`` (and ``patterns``)."""
    hubs: list[LearnerHub] = []
    try:
        for number in range(1, count + 1):
            name = f"{prefix}-{number:02d}"
            hub = LearnerHub(join_room(room.join_line, name), name)
            hubs.append(hub)
            if channels:
                hub.subscribe("class", list(channels))
            if patterns:
                hub.psubscribe("class-pattern", list(patterns))
    except BaseException:
        for hub in hubs:
            hub.close()
        raise
    return hubs
