"""Joining a room: a learner turns the projector's join line into a URL of their own.

The join line (``redis://lobby:CODE@host:port``) carries only the room code,
which everyone in the room may see: it lets a laptop ask to join, nothing more.
The learner's own password is made here and never leaves this process: only
its SHA-256 travels (on ``lobby:join``), and the facilitator's room creates an
ACL user with it. The answer comes back on ``lobby:joined``, which every
joining laptop hears, so it carries names and yes/no, never a secret.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from .acl import JOIN, JOINED, LOBBY_USER, check_name

JOIN_TIMEOUT_S = 10.0


class RoomJoinError(RuntimeError):
    """Joining failed; the message says why and what to check."""


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def parse_join_line(line: str) -> tuple[str, int, str]:
    """``redis://lobby:CODE@host:port`` -> (host, port, code), with an error a learner can act on."""
    try:
        parts = urlsplit(line.strip())
        host, port, code = parts.hostname, parts.port, parts.password
    except ValueError:
        host = port = code = None
    if not (host and port and code) or parts.username != LOBBY_USER:
        raise RoomJoinError(
            "that is not a room's join line: copy it exactly as the facilitator shows it, "
            "e.g. redis://lobby:ABCD2345@192.168.1.20:7000")
    return host, port, code


def saved_password(host: str, port: int, code: str, name: str) -> Path:
    """Where this machine's user keeps a room password (0600, in a 0700 folder): every notebook and
    every restarted kernel of this learner then reuses it instead of joining again."""
    folder = Path(tempfile.gettempdir()) / f"pubsub_kit-{os.getuid()}" / "rooms"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder.parent, 0o700)
    return folder / f"{sha256(f'{host}:{port}:{code}')[:16]}-{name}"


def _url(name: str, password: str, host: str, port: int) -> str:
    return f"redis://{quote(name)}:{quote(password)}@{host}:{port}"


def _still_valid(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3, retry=Retry(NoBackoff(), 0))
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def join_room(line: str, name: str, timeout: float = JOIN_TIMEOUT_S) -> str:
    """Ask the room for a user called ``name``; returns this learner's own URL (it holds their password).

    A password this user saved for this room and name is tried first, so a second
    notebook or a restarted kernel keeps the same name.
    """
    name = check_name(name)
    host, port, code = parse_join_line(line)
    saved = saved_password(host, port, code, name)
    if saved.is_file() and _still_valid(url := _url(name, saved.read_text().strip(), host, port)):
        return url
    password = secrets.token_urlsafe(18)
    request = secrets.token_hex(8)
    lobby = redis.Redis(host=host, port=port, username=LOBBY_USER, password=code, socket_timeout=timeout,
                        socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0))
    answers = lobby.pubsub(ignore_subscribe_messages=True)
    try:
        try:
            answers.subscribe(JOINED)
            lobby.publish(JOIN, json.dumps({"request": request, "name": name, "sha256": sha256(password)}))
            answer = _wait_for(answers, request, timeout)
        except redis.AuthenticationError:
            raise RoomJoinError("the room code in that join line is wrong: copy it again from the projector") from None
        except (redis.ConnectionError, redis.TimeoutError, OSError) as err:
            raise RoomJoinError(
                f"cannot reach the room at {host}:{port} ({type(err).__name__}): check the address, that this "
                "laptop is on the workshop network, and that no firewall blocks the port") from None
    finally:
        answers.close()
        lobby.close()
    if answer is None:
        raise RoomJoinError(f"the room at {host}:{port} did not answer within {timeout:.0f} s: ask the facilitator "
                            "whether the room is still running")
    if not answer.get("ok"):
        raise RoomJoinError(str(answer.get("why") or "the room refused to let you join"))
    saved.unlink(missing_ok=True)
    fd = os.open(saved, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password)
    return _url(name, password, host, port)


def _wait_for(answers: redis.client.PubSub, request: str, timeout: float) -> dict | None:
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        message = answers.get_message(timeout=left)
        if message is None:
            continue
        try:
            answer = json.loads(message["data"])
        except (TypeError, ValueError):
            continue
        if isinstance(answer, dict) and answer.get("request") == request:
            return answer
    return None
