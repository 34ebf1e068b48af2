"""What the lessons share: names unique to a run, and errors that say which cell to run first.

Learners skip cells, run one twice, restart the kernel halfway and carry on.
Python then says ``NameError: name 'hub' is not defined``, which does not tell
them what to do. Importing this module in a notebook (every lesson's first
cell does) makes such errors name the cell that makes the missing name, read
from the notebook's own file; a lesson's kernel also loads it at start (see
kernelspec.py), so the help is there right after a restart too. A cell that
needs an earlier cell's *effect* rather than a name says so with ``need()``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from .cellmap import maker_of, read_cells
from .hub import HubClosedError

__all__ = ["lesson_prefix", "RunFirst", "need", "load_ipython_extension"]

FROM_THE_TOP = "run the notebook from the top (Run ▸ Run All Above Selected Cell, then this cell)"


class RunFirst(RuntimeError):
    """This cell needs an earlier one that has not run (or was undone): the message names it."""


def need(ok: object, run_first: str) -> None:
    """Stop with ``RunFirst`` unless ``ok``: for a cell that needs an earlier cell's effect, not just a name.

    ``run_first`` names that cell, e.g. ``'the cell under "2. The outage" that starts `lab = ...`'``.
    """
    if not ok:
        raise RunFirst(f"run {run_first} first, then this cell again")


def lesson_prefix(hub: Any) -> str:
    """A prefix for the channel names, keys and users a lesson creates.

    Empty on the kernel's own private server, where nobody else can hear; on a shared server
    (``$REDIS_URL``) a prefix unique to this run, such as ``'k3f9a01:'``: pub/sub ignores the
    database number, so fixed names would cross-talk between notebooks and learners.
    """
    return "" if getattr(hub, "server", None) is not None else f"k{secrets.token_hex(3)}:"


def notebook_path(user_ns: dict[str, Any]) -> Path | None:
    """The running notebook's file: JupyterLab and Notebook 7 pass it as ``__session__``, VS Code its own way."""
    for key in ("__session__", "__vsc_ipynb_file__"):
        value = user_ns.get(key)
        if not isinstance(value, str) or not value.endswith(".ipynb"):
            continue
        for candidate in (Path(value), Path(os.getcwd()) / Path(value).name):
            if candidate.is_file():
                return candidate
    return None


def missing_name_hint(name: str, user_ns: dict[str, Any], running: str | None) -> str:
    """What to say instead of Python's bare "name 'x' is not defined"."""
    said = f"name {name!r} is not defined"
    path = notebook_path(user_ns)
    if path is None:
        return (f"{said}. If an earlier cell makes it, run that cell first; after a kernel restart, "
                f"{FROM_THE_TOP}.")
    try:
        cells = read_cells(path)
    except (OSError, ValueError):
        return f"{said}: {FROM_THE_TOP}."
    maker = maker_of(name, cells, running)
    if maker is None:
        return f"{said}, and no cell above this one makes it: check the spelling, or {FROM_THE_TOP}."
    if maker.code_number == 1:
        return (f"{said}: the notebook's first code cell makes it, and this kernel has not run it "
                f"(a restart forgets every cell): {FROM_THE_TOP}.")
    return (f"{said}: {maker.describe()} makes it, and this kernel has not run it (skipped, or forgotten "
            f"in a restart). Run that cell first, or {FROM_THE_TOP}.")


def _in_learner_code(tb: Any, user_ns: dict[str, Any]) -> bool:
    """True when the name was missing in the notebook's own code (a cell, or a function a cell defined)."""
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_globals is user_ns


def _explain(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: int | None = None) -> list[str]:
    if isinstance(value, NameError) and getattr(value, "name", None) and _in_learner_code(tb, shell.user_ns):
        raw = shell.history_manager.input_hist_raw
        value.args = (missing_name_hint(value.name, shell.user_ns, raw[-1] if raw else None),)
    elif isinstance(value, HubClosedError) and FROM_THE_TOP not in str(value):
        value.args = (f"{value} In a lesson the last cell closes the hub: {FROM_THE_TOP}.",)
    else:
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
        return []
    shell.showtraceback((etype, value, tb), exception_only=True)
    return []


def load_ipython_extension(shell: Any) -> None:
    """``%load_ext pubsub_kit.lesson``, or the lesson kernel's ``--ext``: explain missing names from now on."""
    shell.set_custom_exc((NameError, HubClosedError), _explain)


def _install_in_running_kernel() -> None:
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None and getattr(shell, "custom_exceptions", ()) != (NameError, HubClosedError):
        load_ipython_extension(shell)


_install_in_running_kernel()
