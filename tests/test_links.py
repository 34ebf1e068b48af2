"""tools/links.py writes the Binder badge, the nbgitpuller link and the routes table from one name."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FILES = ("tools/links.py", "README.md", "docs/setup.md")


def a_copy(tmp_path: Path) -> Path:
    for name in FILES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / name, tmp_path / name)
    return tmp_path


def links(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(root / "tools" / "links.py"), *args], capture_output=True,
                          text=True, timeout=60)


def texts(root: Path) -> dict[str, str]:
    return {name: (root / name).read_text() for name in FILES[1:]}


def test_the_committed_files_are_what_their_settings_give() -> None:
    result = links(REPO, "--check")
    assert result.returncode == 0, result.stderr


def test_naming_the_repository_writes_every_link_and_round_trips(tmp_path: Path) -> None:
    root = a_copy(tmp_path)
    assert links(root, "my-org/pubsub_kit", "--hub", "https://hub.example.org").returncode == 0
    first = texts(root)
    readme, setup = first["README.md"], first["docs/setup.md"]
    binder = "https://mybinder.org/v2/gh/my-org/pubsub_kit/main?urlpath=lab/tree/notebooks/00_start_here.ipynb"
    assert f"[![Binder](https://mybinder.org/badge_logo.svg)]({binder})" in readme
    puller = ("https://hub.example.org/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2Fmy-org%2Fpubsub_kit"
              "&urlpath=lab%2Ftree%2Fpubsub_kit%2Fnotebooks%2F00_start_here.ipynb&branch=main")
    for text in (readme, setup):
        assert puller in text and binder in text and "git clone https://github.com/my-org/pubsub_kit" in text
        assert "OWNER/REPO)" not in text
    assert links(root, "--check").returncode == 0
    assert links(root, "someone/else").returncode == 0
    assert "someone/else" in texts(root)["README.md"] and "my-org" not in texts(root)["README.md"]
    assert links(root, "my-org/pubsub_kit", "--hub", "https://hub.example.org").returncode == 0
    assert texts(root) == first, "renaming and naming back gives the same files"
    assert links(root, "--unpublished").returncode == 0
    assert "mybinder.org/v2" not in texts(root)["README.md"]


def test_a_stale_block_is_caught_and_a_bad_name_refused(tmp_path: Path) -> None:
    root = a_copy(tmp_path)
    readme = root / "README.md"
    readme.write_text(readme.read_text().replace("| conda |", "| conda (edited by hand) |"))
    stale = links(root, "--check")
    assert stale.returncode == 1 and "README.md" in stale.stderr
    refused = links(root, "not a name")
    assert refused.returncode != 0 and "OWNER/REPO" in refused.stderr
