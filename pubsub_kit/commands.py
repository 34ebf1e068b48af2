"""The ``pubsub-kit`` command: one subcommand per job.

    pubsub-kit lab [FOLDER]       copy the lessons into FOLDER (yours are kept) and open JupyterLab there
    pubsub-kit lessons [FOLDER]   copy the lessons only
    pubsub-kit cli [-h H -p P]    a small redis-cli, for machines without one
    pubsub-kit room [--host ADDR] one server for a whole class: the facilitator's side of lesson 09

Add a job with another ``subcommands.add_parser(...)`` and a ``run`` function.
"""

from __future__ import annotations

import argparse
from typing import NoReturn, Sequence

from . import cli, workspace
from .room import __main__ as room_command


def _lab(args: argparse.Namespace) -> NoReturn:
    workspace.start_lab(args.folder, port=args.port, open_browser=not args.no_browser)


def _lessons(args: argparse.Namespace) -> int:
    print(workspace.copy_lessons(args.folder))
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="pubsub-kit", description="The Redis pub/sub teaching kit.")
    subcommands = top.add_subparsers(dest="subcommand", required=True, metavar="COMMAND")

    lab = subcommands.add_parser("lab", help="copy the lessons into FOLDER (keeping any you changed) "
                                 "and open JupyterLab there, on 127.0.0.1")
    lab.add_argument("folder", nargs="?", default=workspace.DEFAULT_FOLDER,
                     help=f"where your copy of the lessons lives (default: ./{workspace.DEFAULT_FOLDER})")
    lab.add_argument("--port", type=int, default=workspace.DEFAULT_PORT, help="JupyterLab's port (default 8888)")
    lab.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    lab.set_defaults(run=_lab)

    lessons = subcommands.add_parser("lessons", help="copy the lessons into FOLDER, keeping any you changed")
    lessons.add_argument("folder", nargs="?", default=workspace.DEFAULT_FOLDER)
    lessons.set_defaults(run=_lessons)

    prompt = subcommands.add_parser("cli", add_help=False, help="a small redis-cli, for machines without one "
                                    "(options as redis-cli's: -h HOST -p PORT, password from REDISCLI_AUTH)")
    cli.add_arguments(prompt)
    prompt.set_defaults(run=cli.run)

    room = subcommands.add_parser("room", help="run a room: one locked server for a class, a join line for "
                                  "the projector, and the facilitator's page (see docs/room.md)")
    room_command.add_arguments(room)
    room.set_defaults(run=room_command.run)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.run(args)
