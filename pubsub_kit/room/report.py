"""The report a learner's hub sends the room: written by the laptop, read (warily) by the facilitator.

A report is what the projector trusts about one laptop, and any learner can
publish anything on their own ``stats:NAME`` channel. So the facilitator reads
it through ``read_report``, which keeps only well-formed fields, bounds every
list and string, and drops reports too big to be honest.
"""

from __future__ import annotations

from typing import Any

from ..hub import RedisPubSubHub

REPORT_SUBSCRIPTION = "room-report"
MAX_SUBSCRIPTIONS = 20
MAX_MISSES = 10
MAX_TARGETS = 10
MAX_CHANNELS = 50
MAX_TEXT = 200
MAX_REPORT_BYTES = 64 * 1024
COUNTS = ("received", "handled", "queued", "dropped", "gaps", "duplicates")


def report_of(hub: RedisPubSubHub, name: str) -> dict[str, Any]:
    """This hub's counters, small enough to publish every second from a hundred laptops."""
    stats = hub.stats()
    subs = []
    for sub in stats["subscriptions"]:
        if sub["name"] == REPORT_SUBSCRIPTION:
            continue
        live = hub.get_subscription(sub["name"])
        missed = [[m.publisher, m.channel, m.first_seq, m.last_seq] for m in (live.missed() if live else [])]
        subs.append({"name": sub["name"], "state": sub["state"], "channels": sub["channels"],
                     "patterns": sub["patterns"], **{key: sub[key] for key in COUNTS},
                     "by_channel": {c: row["received"] for c, row in sub["by_channel"].items()},
                     "missed": missed[-MAX_MISSES:]})
    return {"name": name, "hub": stats["hub_id"], "published": stats["published_total"],
            "subscriptions": subs[:MAX_SUBSCRIPTIONS]}


def _text(value: Any) -> str:
    return str(value)[:MAX_TEXT]


def _count(value: Any) -> int:
    return value if type(value) is int and 0 <= value < 2**53 else 0


def _texts(value: Any, limit: int) -> list[str]:
    return [_text(v) for v in value[:limit]] if isinstance(value, list) else []


def _run(value: Any) -> list[Any] | None:
    if isinstance(value, list) and len(value) == 4 and all(type(v) is int for v in value[2:]) \
            and 1 <= value[2] <= value[3] < 2**53:
        return [_text(value[0]), _text(value[1]), value[2], value[3]]
    return None


def _subscription(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    by_channel = value.get("by_channel")
    runs = value.get("missed") if isinstance(value.get("missed"), list) else []
    return {"name": _text(value.get("name", "")), "state": _text(value.get("state", "")),
            "channels": _texts(value.get("channels"), MAX_TARGETS), "patterns": _texts(value.get("patterns"), MAX_TARGETS),
            **{key: _count(value.get(key)) for key in COUNTS},
            "by_channel": {_text(c): _count(n) for c, n in list(by_channel.items())[:MAX_CHANNELS]}
            if isinstance(by_channel, dict) else {},
            "missed": [run for run in map(_run, runs[:MAX_MISSES]) if run is not None]}


def read_report(payload: Any, size: int) -> dict[str, Any] | None:
    """A report as the facilitator may use it, or None when it is not one."""
    if not isinstance(payload, dict) or size > MAX_REPORT_BYTES:
        return None
    subs = payload.get("subscriptions") if isinstance(payload.get("subscriptions"), list) else []
    return {"published": _count(payload.get("published")),
            "subscriptions": [s for s in map(_subscription, subs[:MAX_SUBSCRIPTIONS]) if s is not None]}
