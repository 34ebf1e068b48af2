"""The facilitator's room: one locked server for the class, learners let in one ACL user each.

``Room()`` starts a private server (the same discovery and lock as every lesson's)
on loopback, or on the one address the facilitator names for the workshop
network; it never listens on every interface unless told ``host="0.0.0.0"``.
The server's own password stays in this process. The projector shows only the
join line, whose room code lets a laptop ask to join; the room answers each
request by creating that learner's ACL user (see acl.py) and keeps the roster.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections import Counter, deque
from typing import Any

from ..hub import RedisPubSubHub
from ..local import LOOPBACK, LocalRedis
from ..messages import ReceivedMessage
from .acl import JOIN, JOINED, LOBBY_USER, REPORT, STATS, check_name, learner_rules, lobby_rules
from .join import sha256
from .report import read_report

CODE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"   # no 0/O, 1/I: read off a projector
CODE_LENGTH = 8
PUBLISH_LOG = 10_000
SHA256 = re.compile(r"[0-9a-f]{64}")


def room_code() -> str:
    return "".join(secrets.choice(CODE_LETTERS) for _ in range(CODE_LENGTH))


class Room:
    """A room server, its lobby, its roster and the reports learners send back."""

    def __init__(self, host: str = LOOPBACK, port: int | None = None, *, max_learners: int = 60) -> None:
        self.code = room_code()
        self.max_learners = max_learners
        self.server = LocalRedis(host=host, port=port)
        try:
            self.admin = self.server.client(socket_timeout=5)
            self.admin.execute_command("ACL", "SETUSER", LOBBY_USER, *lobby_rules(sha256(self.code)))
            self.hub = RedisPubSubHub(server=self.server)
            self._lock = threading.Lock()
            self._reported = threading.Condition(self._lock)
            self.roster: dict[str, float] = {}          # name -> when it joined
            self.reports: dict[str, tuple[dict[str, Any], float]] = {}
            self.last_publish: dict[str, Any] | None = None
            self._log: deque[tuple[float, str]] = deque(maxlen=PUBLISH_LOG)   # (when, channel) of each publish
            self.hub.subscribe("room-lobby", JOIN, on_message=self._on_join)
            self.hub.psubscribe("room-reports", f"{STATS}*", on_message=self._on_report)
        except BaseException:
            self.server.close()
            raise

    @property
    def join_line(self) -> str:
        """What the projector shows: the server's address and the room code, no other secret."""
        return f"redis://{LOBBY_USER}:{self.code}@{self.server.host}:{self.server.port}"

    # -- the lobby -----------------------------------------------------------------------

    def _on_join(self, message: ReceivedMessage) -> None:
        request = message.payload if isinstance(message.payload, dict) else {}
        ticket = str(request.get("request", ""))[:32]
        try:
            name = check_name(request.get("name"))
            if not SHA256.fullmatch(str(request.get("sha256", ""))):
                raise ValueError("the request carries no password hash: join with pubsub_kit.connect(room=...)")
            self._admit(name, request["sha256"])
        except ValueError as err:
            self._answer(ticket, request.get("name"), False, str(err))
            return
        self._answer(ticket, name, True, None)

    def _admit(self, name: str, password_sha256: str) -> None:
        """Create (or re-key, after a learner's restart) the ACL user; a connected name stays taken."""
        with self._lock:
            known = name in self.roster
            if not known and len(self.roster) >= self.max_learners:
                raise ValueError(f"the room is full ({self.max_learners} learners): ask the facilitator")
        if known and self.connections().get(name):
            raise ValueError(f"the name {name!r} is taken by a connected laptop: pick another")
        self.admin.execute_command("ACL", "SETUSER", name, *learner_rules(name, password_sha256))
        with self._lock:
            self.roster.setdefault(name, time.time())

    def _answer(self, ticket: str, name: Any, ok: bool, why: str | None) -> None:
        self.admin.publish(JOINED, json.dumps({"request": ticket, "name": str(name)[:40], "ok": ok, "why": why}))

    def publish(self, channel: str, message: Any) -> int:
        """The facilitator's publish; the projector shows what PUBLISH returned next to it."""
        count = self.hub.publish(channel, message)
        now = time.time()
        with self._lock:
            self.last_publish = {"channel": channel, "returned": count, "at": now}
            self._log.append((now, channel))
        return count

    def published_since(self, since: float) -> list[str]:
        """The channel of every facilitator publish after ``since``: what a learner gone since then missed."""
        with self._lock:
            return [channel for at, channel in self._log if at > since]

    def away(self, name: str) -> int:
        """Keep a learner out, as a closed laptop lid would: their user is switched off and every
        connection killed, so what is published meanwhile is lost for them alone."""
        self.admin.execute_command("ACL", "SETUSER", check_name(name), "off")
        return self.kick(name)

    def back(self, name: str) -> None:
        """Let a learner back in: their hub reconnects by itself and counts what it missed as gaps."""
        self.admin.execute_command("ACL", "SETUSER", check_name(name), "on")

    def learners(self) -> tuple[list[str], dict[str, tuple[dict[str, Any], float]]]:
        """The roster and every learner's last report (and when it came), read together."""
        with self._lock:
            return sorted(self.roster), dict(self.reports)

    # -- what learners report ------------------------------------------------------------

    def _on_report(self, message: ReceivedMessage) -> None:
        """Only the learner (and the facilitator) may publish on stats:NAME; what they send is read warily."""
        name = message.channel[len(STATS):]
        report = read_report(message.payload, message.size)
        with self._lock:
            if report is not None and name in self.roster:
                self.reports[name] = (report, time.time())
                self._reported.notify_all()

    def ask_for_reports(self) -> int:
        """Ask every learner's hub for its counters; returns how many hubs heard the question."""
        return int(self.admin.publish(REPORT, "report"))

    def fresh_reports(self, timeout: float = 5.0, ask_every: float = 0.5) -> bool:
        """Ask until every connected learner has answered; False if one did not in time.

        The question is repeated: a hub whose report subscription was reconnecting when asked
        never hears it (pub/sub keeps nothing for it), and would otherwise never answer.
        """
        asked = time.time()
        deadline = time.monotonic() + timeout
        connected = self.connections()

        def answered() -> bool:
            return all(self.reports.get(name, (None, 0.0))[1] >= asked
                       for name in self.roster if connected.get(name))

        while True:
            self.ask_for_reports()
            left = deadline - time.monotonic()
            with self._reported:
                if self._reported.wait_for(answered, max(0.0, min(ask_every, left))):
                    return True
            if left <= ask_every:
                return False

    def connections(self) -> dict[str, int]:
        """Connections per learner right now, from CLIENT LIST (only the facilitator may run it)."""
        return dict(Counter(client.get("user", "?") for client in self.admin.client_list()))

    def kick(self, name: str) -> int:
        """CLIENT KILL every connection of one learner (as a dropped Wi-Fi would); they reconnect."""
        return int(self.admin.execute_command("CLIENT", "KILL", "USER", check_name(name)))

    def close(self) -> None:
        """Stop the room: the hub's threads joined, the server stopped, every learner disconnected."""
        self.hub.close()
        self.admin.close()
        self.server.close()

    def __enter__(self) -> "Room":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Room {self.server.host}:{self.server.port} {self.server.describe()}: {len(self.roster)} learners>"
