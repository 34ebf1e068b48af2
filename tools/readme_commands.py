"""Run the README's commands without make, exactly as written, in a fresh copy of this checkout.

    python tools/readme_commands.py [--keep]

CI runs it, so the README's block and what works cannot drift apart. The block is the sh
code block after the line <!-- without-make --> in README.md. Every line but the last must
succeed; the last starts JupyterLab, which tools/check_lab.py proves serves the lessons on
127.0.0.1 before stopping it. Standard library only.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_lab import check  # noqa: E402  (tools/ is a folder of scripts, not a package)

REPO = Path(__file__).resolve().parents[1]
MARK = "<!-- without-make -->"
BLOCK = re.compile(r"\s*```sh\n(?P<body>.*?)```", re.DOTALL)


def commands(readme: str) -> list[str]:
    """The lines of the sh block right after the mark (comments and blank lines left out)."""
    if MARK not in readme:
        raise SystemExit(f"README.md has no {MARK} line before its commands without make")
    block = BLOCK.match(readme.split(MARK, 1)[1])
    if not block:
        raise SystemExit(f"README.md: no ```sh block right after {MARK}")
    return [line for line in block["body"].splitlines() if line.strip() and not line.lstrip().startswith("#")]


def copy_checkout(destination: Path) -> None:
    """The files a fresh clone would have (plus any not yet committed): no .venv, no build output."""
    listed = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            capture_output=True, text=True, check=True).stdout.split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the copy (its path is printed)")
    args = parser.parse_args()
    lines = commands((REPO / "README.md").read_text())
    folder = Path(tempfile.mkdtemp(prefix="pubsub-kit-readme-"))
    try:
        copy_checkout(folder)
        for line in lines[:-1]:
            started = time.monotonic()
            print(f"$ {line}", flush=True)
            subprocess.run(["sh", "-c", line], cwd=folder, check=True)
            print(f"  ({time.monotonic() - started:.0f} s)", flush=True)
        print(f"$ {lines[-1]}", flush=True)
        print(" ", check(["sh", "-c", lines[-1]], str(folder), ["00_start_here.ipynb"]), flush=True)
    finally:
        if args.keep:
            print(f"the copy: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
