"""The environment check behind 00_start_here: name what is missing and how to fix it."""

from __future__ import annotations

import importlib.metadata
import os
import sys
from dataclasses import dataclass

from .local import LocalRedis, RedisServerNotFound, find_redis_server

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


def check_environment() -> list[Check]:
    """Python, the packages, and a Redis server (started briefly to read its version)."""
    python_ok = sys.version_info >= (3, 10)
    checks = [Check("Python >= 3.10", python_ok, sys.version.split()[0], "" if python_ok else "install Python 3.10 or newer")]
    for package, fix in PACKAGES.items():
        version = _version(package)
        if package == "ipykernel" and version:
            ok = tuple(int(p) for p in version.split(".")[:2]) >= (7, 1)
        else:
            ok = version is not None or package in OPTIONAL
        checks.append(Check(package, ok, version or "missing", "" if version and ok else fix))
    if os.environ.get("REDIS_URL"):
        checks.append(Check("Redis server", True, f"REDIS_URL is set: the notebooks use {os.environ['REDIS_URL']}"))
        return checks
    try:
        found = find_redis_server()
    except RedisServerNotFound as err:
        checks.append(Check("Redis server", False, "none found", str(err)))
        return checks
    with LocalRedis(binary=found.path) as server:
        checks.append(Check("Redis server", True, f"redis-server {server.version}, found via {found.source}"))
        sharded = server.version_at_least(7, 0)
        checks.append(Check(
            "sharded pub/sub (SPUBLISH)", sharded,
            "available" if sharded else f"Redis {server.version} is older than 7.0",
            "" if sharded else "lessons 00-05 work; for lesson 07 (sharded pub/sub) install Redis >= 7 (apt, brew, conda)",
        ))
    return checks
