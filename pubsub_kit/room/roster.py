"""The room's one snapshot: who is here, what each subscribes to, and what each got or missed.

Built from three sources the facilitator can see: the room's roster (who
joined), ``CLIENT LIST`` (who is connected right now) and each learner's last
report (what their hub really received, gaps named by sequence number). The
projector widget and the web page both render this dict; it is plain strict
JSON and bounded, whatever learners put in their subscription names.
"""

from __future__ import annotations

import time
from typing import Any

import redis

from ..names import glob_match
from ..snapshot import MAX_TEXT
from .facilitator import Room

MAX_TARGETS_SHOWN = 6
MAX_IDS_SHOWN = 12
STALE_REPORT_S = 5.0


def _text(value: Any) -> str:
    return str(value)[:MAX_TEXT]


def _from_facilitator(run: list[Any], hub_id: str, channels: set[str]) -> bool:
    publisher, channel = str(run[0]), str(run[1])
    return publisher.split(".")[0] == hub_id and channel in channels


def _copies(channel: str, subs: list[dict[str, Any]]) -> int:
    """How many copies of one message on ``channel`` these subscriptions would get (exact + pattern)."""
    return sum(1 for sub in subs for c in sub.get("channels", []) if c == channel) + \
        sum(1 for sub in subs for p in sub.get("patterns", []) if glob_match(str(p), channel))


def learner_row(name: str, report: dict[str, Any] | None, age: float | None, connections: int,
                hub_id: str, channels: set[str], gone_since: list[str]) -> dict[str, Any]:
    """One learner's line on the projector.

    ``missed`` is exact while the learner's hub reports: its gaps in the facilitator's
    sequence numbers. A learner that is not connected cannot report, so what the
    facilitator published since its last report is added (``gone_since``).
    """
    subs = report.get("subscriptions", []) if report else []
    runs = [r for sub in subs for r in sub.get("missed", []) if _from_facilitator(r, hub_id, channels)]
    missed_ids = [f"{r[1]}#{n}" for r in runs for n in range(int(r[2]), min(int(r[3]), int(r[2]) + MAX_IDS_SHOWN) + 1)]
    targets = sorted({_text(t) for sub in subs for t in [*sub.get("channels", []), *sub.get("patterns", [])]})
    gaps = sum(int(r[3]) - int(r[2]) + 1 for r in runs)
    since_left = 0 if connections else sum(_copies(channel, subs) for channel in gone_since)
    return {
        "name": name,
        "connected": connections > 0,
        "connections": connections,
        "subscribed_to": targets[:MAX_TARGETS_SHOWN],
        "received": sum(int(n) for sub in subs for c, n in sub.get("by_channel", {}).items() if c in channels),
        "missed": gaps + since_left,
        "missed_since_last_report": since_left,
        "missed_ids": missed_ids[:MAX_IDS_SHOWN],
        "queued": sum(int(sub.get("queued", 0)) for sub in subs),
        "dropped": sum(int(sub.get("dropped", 0)) for sub in subs),
        "published": int(report.get("published", 0)) if report else 0,
        "report_age_s": None if age is None else round(age, 1),
        "reporting": age is not None and age < STALE_REPORT_S,
    }


def room_snapshot(room: Room) -> dict[str, Any]:
    """Everything the facilitator's views show, in one read."""
    stats = room.hub.stats()
    published = dict(stats["channels"])
    channels = set(published)
    try:
        connections, server_ok = room.connections(), True
    except redis.RedisError:
        connections, server_ok = {}, False
    now = time.time()
    roster, reports = room.learners()
    learners = []
    for name in roster:
        report, at = reports.get(name, (None, None))
        gone_since = room.published_since(at or 0.0) if not connections.get(name) else []
        learners.append(learner_row(name, report, None if at is None else now - at,
                                    connections.get(name, 0), stats["hub_id"], channels, gone_since))
    return {
        "room": {"address": f"{room.server.host}:{room.server.port}", "server": room.server.describe(),
                 "join_line": room.join_line, "server_ok": server_ok,
                 "learners": len(learners), "connected": sum(1 for l in learners if l["connected"])},
        "facilitator": {"published": published, "last_publish": room.last_publish},
        "learners": learners,
    }
