"""The lessons' Jupyter kernel: plain ipykernel that loads ``pubsub_kit.lesson`` at start.

After a kernel restart no cell has run, so nothing a notebook imports can help
with the first ``NameError``. A kernel that loads the lesson help itself can:
``python -m pubsub_kit.kernelspec`` installs it as this environment's
``python3`` kernel (what the notebooks ask for), ``--user --name pubsub-kit``
for an existing JupyterLab or JupyterHub.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager

EXTENSION = "pubsub_kit.lesson"


def spec(display_name: str = "Python 3 (ipykernel)") -> dict:
    """The kernel.json: this Python, ipykernel, and the lesson help loaded before any cell runs."""
    return {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}", f"--ext={EXTENSION}"],
        "display_name": display_name,
        "language": "python",
        "metadata": {"debugger": True},
    }


def install(name: str = "python3", display_name: str = "Python 3 (ipykernel)", user: bool = False) -> str:
    """Install the kernel for this environment (or for the user); returns where it went."""
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "kernel.json").write_text(json.dumps(spec(display_name), indent=1))
        return KernelSpecManager().install_kernel_spec(
            folder, kernel_name=name, user=user, prefix=None if user else sys.prefix)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pubsub_kit.kernelspec", description=__doc__.splitlines()[0])
    parser.add_argument("--user", action="store_true", help="install for this user instead of this environment")
    parser.add_argument("--name", default="python3", help="kernel name (default: python3)")
    parser.add_argument("--display-name", default="Python 3 (ipykernel)")
    args = parser.parse_args(argv)
    where = install(args.name, args.display_name, args.user)
    print(f"installed the lesson kernel {args.name!r} ({args.display_name}) in {where}")


if __name__ == "__main__":
    main()
