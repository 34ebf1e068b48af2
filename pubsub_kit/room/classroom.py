"""A room for one notebook: the facilitator, simulated laptops and you, in one object (lesson 09).

Lesson 09 plays both sides of a workshop: it runs the room, fills it with
simulated learners that joined the real way, and joins it as you. A
``Classroom`` holds all of it, waits until every hub has caught up before the
room's view is read (so the numbers a cell shows are final, not in flight), and
closes everything in one call. One classroom per kernel: making a new one
closes the last, so the cell that makes it can run again.
"""

from __future__ import annotations

import weakref
from typing import Any

from .facilitator import Room
from .learner import LearnerHub
from .join import join_room
from .roster import room_snapshot
from .simulate import simulate

REPORT_WAIT_S = 5.0
_last: weakref.ref | None = None


class Classroom:
    """``Classroom(20)``: a room, twenty simulated learners on ``room:news``, and ``me``."""

    def __init__(self, learners: int = 20, *, me: str = "me") -> None:
        global _last
        previous = _last() if _last is not None else None
        if previous is not None:
            previous.close()
        self.room = Room()
        try:
            self.learners = simulate(self.room, learners)
            self.me = LearnerHub(join_room(self.room.join_line, me), me)
        except BaseException:
            self.room.close()
            raise
        _last = weakref.ref(self)

    def hubs(self) -> list[LearnerHub]:
        return [*self.learners, self.me]

    def learner(self, name: str) -> LearnerHub:
        """A simulated learner's hub by name, e.g. ``learner("learner-05")``."""
        for hub in self.learners:
            if hub.learner == name:
                return hub
        raise KeyError(f"no learner named {name!r}; they are learner-01 … learner-{len(self.learners):02d}")

    def snapshot(self) -> dict[str, Any]:
        """The room's view once every laptop has handled what was published and reported it."""
        for hub in self.hubs():
            hub.wait_until_delivered()
        self.room.fresh_reports(REPORT_WAIT_S)
        return room_snapshot(self.room)

    def table(self, *columns: str) -> Any:
        """The room's view as a pandas table, one row per learner."""
        import pandas as pd

        rows = self.snapshot()["learners"]
        frame = pd.DataFrame(rows).set_index("name")
        return frame[list(columns)] if columns else frame

    def close(self) -> None:
        """Every learner's hub, then the room: its server stops."""
        for hub in self.hubs():
            hub.close()
        self.room.close()

    def __repr__(self) -> str:
        return f"<Classroom: {len(self.learners)} simulated learners and {self.me.learner!r} in {self.room!r}>"
