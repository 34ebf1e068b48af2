"""Who may do what in a room: one ACL user per learner, a lobby for joining, names checked.

A learner may only use pub/sub and PING: subscribe and publish on the room's
shared channels (``room:*``) and on their own prefix (``alice:*``), publish
(never read) into anyone's inbox (``bob:inbox``), answer the facilitator's
report requests and publish their own counters (``stats:alice``). No CONFIG,
no CLIENT KILL, no keys, no other learner's channels. The lobby user, whose
password is the room code shown on the projector, can only ask to join.
Both Redis 7.0+ and Valkey accept these rules; their refusals are worded
differently, so ``explain_refusal`` says in the kit's own words what is missing.
"""

from __future__ import annotations

import re

ROOM = "room:"
JOIN = "lobby:join"
JOINED = "lobby:joined"
REPORT = "control:report"
STATS = "stats:"
LOBBY_USER = "lobby"
RESERVED = {"room", "lobby", "control", "stats", "default", "facilitator", "inbox", "all"}
NAME = re.compile(r"[a-z][a-z0-9-]{0,19}")
COMMANDS = ("-@all", "+@pubsub", "+ping", "+client|id", "+client|setname")


def check_name(name: str) -> str:
    """A learner's name: it becomes an ACL user and a channel prefix, so keep it short and plain."""
    if not isinstance(name, str) or not NAME.fullmatch(name) or name in RESERVED:
        raise ValueError(
            f"room name {name!r} cannot be used: use 1-20 lowercase letters, digits or dashes, starting with a "
            f"letter, and not one of {sorted(RESERVED)} (e.g. 'alice' or 'team-3')")
    return name


def inbox(name: str) -> str:
    """The channel anyone in the room may publish to and only ``name`` may read."""
    return f"{name}:inbox"


def learner_rules(name: str, password_sha256: str) -> list[str]:
    """ACL SETUSER arguments for one learner (the password given only as its SHA-256)."""
    return ["reset", "on", f"#{password_sha256}", "resetchannels", f"&{ROOM}*", f"&{name}:*", f"&{REPORT}",
            f"&{STATS}{name}", *COMMANDS, "(+publish &*:inbox)"]   # a selector: publish-only, any inbox


def lobby_rules(code_sha256: str) -> list[str]:
    """ACL SETUSER arguments for the lobby: ask to join, hear the answer, nothing else."""
    return ["reset", "on", f"#{code_sha256}", "resetchannels", f"&{JOIN}", f"&{JOINED}", *COMMANDS]


def learner_can(name: str) -> str:
    """One sentence a refused learner reads."""
    return (f"in this room {name!r} may subscribe and publish on {ROOM}* and {name}:*, publish to anyone's "
            f"inbox (NAME:inbox), and use PUBLISH, SUBSCRIBE, PSUBSCRIBE, PUBSUB and PING; everything else "
            f"is the facilitator's")


_COMMAND = re.compile(r"run the '([^']+)' command")


def explain_refusal(error: str, name: str, tried: str | None = None) -> str:
    """Redis' NOPERM text, in the kit's words: which permission the refused call lacks."""
    command = _COMMAND.search(error)
    if command:
        lacks = f"the command {command.group(1).upper().replace('|', ' ')} is not allowed"
    elif "channel" in error.lower():
        lacks = f"the channel {tried!r} is not one of yours" if tried else "that channel is not one of yours"
    else:
        lacks = "the server refused it"
    return f"Redis refused this ({lacks}): {learner_can(name)}."


def describe_user(admin, name: str) -> dict[str, str]:
    """A learner's rules as ACL GETUSER reports them, in one order on every server (Redis and Valkey list
    commands in different orders, and Valkey adds databases): what a learner may run, and on which channels."""
    user = admin.acl_getuser(name)
    if user is None:
        raise KeyError(f"no room user named {name!r}")
    selectors = [dict(zip(s[::2], s[1::2])) for s in user.get("selectors", [])]
    return {
        "may run": " ".join([*user.get("categories", []), *sorted(user.get("commands", []))]),
        "on channels": " ".join(user.get("channels", [])),
        "and publish (only) to": " ".join(str(s.get("channels", "")) for s in selectors),
    }
