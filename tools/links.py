"""Write the Binder badge, the nbgitpuller link and the table of routes from the repository's name.

    python tools/links.py OWNER/REPO                 # once the kit is on GitHub as OWNER/REPO
    python tools/links.py OWNER/REPO --hub https://hub.example.org --branch main
    python tools/links.py                            # the name from `git remote get-url origin`
    python tools/links.py --unpublished              # no name yet: the blocks say how to set one
    python tools/links.py --check                    # exit 1 if a file differs from what its settings give

README.md and docs/setup.md hold the same generated blocks between <!-- links:NAME ... -->
and <!-- /links:NAME --> (their settings are kept in the opening marker): edit the
templates below, never the blocks.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
FILES = {"README.md": ("badge", "routes"), "docs/setup.md": ("routes",)}
START = "00_start_here.ipynb"
BLOCK = re.compile(r"<!-- links:(?P<name>\w+)(?P<settings>[^>]*?) -->\n(?P<body>.*?)<!-- /links:(?P=name) -->",
                   re.DOTALL)
SETTING = re.compile(r"(\w+)=(\S+)")
GITHUB = re.compile(r"github\.com[:/](?P<repo>[\w.-]+/[\w.-]+?)(?:\.git)?/?$")


def links(repo: str, branch: str, hub: str) -> dict[str, str]:
    name = repo.split("/")[1]
    clone = f"https://github.com/{repo}"
    return {
        "clone": clone,
        "folder": name,
        "binder": f"https://mybinder.org/v2/gh/{repo}/{branch}?urlpath=lab/tree/notebooks/{START}",
        "puller": (f"{hub.rstrip('/')}/hub/user-redirect/git-pull?repo={quote(clone, safe='')}"
                   f"&urlpath={quote(f'lab/tree/{name}/notebooks/{START}', safe='')}&branch={branch}"),
    }


def badge(settings: dict[str, str]) -> str:
    if "repo" not in settings:
        return ("<sub>No Binder badge yet: once the kit is on GitHub, run "
                "`python tools/links.py OWNER/REPO` to write it here and in `docs/setup.md`.</sub>\n")
    url = links(settings["repo"], settings["branch"], settings["hub"])["binder"]
    return f"[![Binder](https://mybinder.org/badge_logo.svg)]({url})\n"


def routes(settings: dict[str, str]) -> str:
    """One table of every way into the kit, with what each needs."""
    if "repo" in settings:
        found = links(settings["repo"], settings["branch"], settings["hub"])
        clone = f"`git clone {found['clone']} && cd {found['folder']}`"
        binder = f"[open on Binder]({found['binder']})"
        puller = f"[nbgitpuller link]({found['puller']})"
        if settings["hub"] == "https://YOUR-HUB":
            puller += " (put your hub's address in place of YOUR-HUB, or run `tools/links.py` with `--hub`)"
    else:
        clone = "clone the kit's repository (its address: see who gave you the kit)"
        binder = puller = "run `python tools/links.py OWNER/REPO` once the kit is on GitHub to put the link here"
    rows = [
        ("clone + `make`", "git, make, Python ≥ 3.11 (Linux, macOS, or WSL2 on Windows); network for the first "
         "install (~110 packages)", f"{clone}, then `make lab`"),
        ("clone, no `make`", "git, Python ≥ 3.11", f"{clone}, then the three commands under "
         "*Without make* in the README"),
        ("wheel or wheelhouse + pip", "Python ≥ 3.11 only: no git, no make; a wheelhouse needs no network",
         "`pip install 'redis-pubsub-kit[lab]'` (or `pip install --no-index --find-links WHEELHOUSE "
         "'redis-pubsub-kit[lab]'`), then `pubsub-kit lab`: it copies the lessons into `./pubsub-kit-lessons` "
         "and opens JupyterLab there"),
        ("JupyterHub", "a hub with JupyterLab ≥ 4 and ipywidgets 8; the kit installed in the hub's image "
         "(`pip install 'redis-pubsub-kit[lab]'`), or `make kernel` in a clone on the hub", puller),
        ("Binder", "a browser; the repository public on GitHub; no install", binder),
        ("conda", "conda or mamba, a clone", f"{clone}, then `conda env create -f environment.yml && "
         "conda activate pubsub-kit && pubsub-kit lab notebooks`"),
    ]
    lines = ["| route | what it needs | how |", "|---|---|---|"]
    return "\n".join(lines + [f"| {a} | {b} | {c} |" for a, b, c in rows]) + "\n"


RENDER = {"badge": badge, "routes": routes}


def settings_text(settings: dict[str, str]) -> str:
    return "".join(f" {key}={settings[key]}" for key in ("repo", "branch", "hub") if key in settings)


def rewrite(text: str, settings: dict[str, str] | None) -> str:
    """Every block rendered again, from ``settings`` (or, if None, from the settings it already holds)."""
    def render(match: re.Match) -> str:
        use = settings if settings is not None else dict(SETTING.findall(match["settings"]))
        return f"<!-- links:{match['name']}{settings_text(use)} -->\n{RENDER[match['name']](use)}<!-- /links:{match['name']} -->"
    return BLOCK.sub(render, text)


def current(text: str) -> dict[str, str]:
    """The settings the first block of ``text`` was written with."""
    match = BLOCK.search(text)
    return dict(SETTING.findall(match["settings"])) if match else {}


def origin_repo() -> str:
    try:
        url = subprocess.run(["git", "-C", str(REPO), "remote", "get-url", "origin"], capture_output=True,
                             text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        url = ""
    found = GITHUB.search(url)
    if not found:
        raise SystemExit("no GitHub origin to take the name from: run python tools/links.py OWNER/REPO")
    return found["repo"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repo", nargs="?", help="OWNER/REPO on GitHub (default: this clone's origin)")
    parser.add_argument("--branch", default="main")
    parser.add_argument("--hub", default="https://YOUR-HUB", help="your JupyterHub's address, for nbgitpuller")
    parser.add_argument("--unpublished", action="store_true", help="no repository yet")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file is stale")
    args = parser.parse_args()
    texts = {name: (REPO / name).read_text() for name in FILES}
    for name, blocks in FILES.items():
        found = [m["name"] for m in BLOCK.finditer(texts[name])]
        if found != list(blocks):
            raise SystemExit(f"{name}: expected the blocks {list(blocks)}, found {found}")
    if args.check:
        settings = None
    elif args.unpublished:
        settings = {}
    else:
        repo = args.repo or origin_repo()
        if not re.fullmatch(r"[\w.-]+/[\w.-]+", repo):
            raise SystemExit(f"{repo!r} is not OWNER/REPO, e.g. my-org/pubsub_kit")
        settings = {"repo": repo, "branch": args.branch, "hub": args.hub}
    new = {name: rewrite(text, settings) for name, text in texts.items()}
    stale = [name for name in FILES if new[name] != texts[name]]
    if not args.check:
        for name in stale:
            (REPO / name).write_text(new[name])
    if args.check and stale:
        print(f"stale: {', '.join(stale)}: run python tools/links.py with the repository's name", file=sys.stderr)
        return 1
    print(f"{'stale' if args.check else 'rewrote'}: {', '.join(stale) or 'nothing'}"
          f" ({settings_text(current((REPO / 'README.md').read_text())).strip() or 'unpublished'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
