"""``noisyprobe <command>``: a thin layer over the library.

Each command lives in ``noisyprobe/commands/<name>.py`` with ``register(subparsers)``;
this module only dispatches and turns user errors into one line and a non-zero exit.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from noisyprobe import __version__
from noisyprobe.errors import NoisyProbeError

COMMANDS = (
    "datasets",
    "extract",
    "fit",
    "diagnose",
    "bench",
    "select",
    "labels",
    "study",
    "report",
    "demo",
)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The ``noisyprobe`` parser with every command, or only command ``only`` when given.

    Registering a command imports its module; ``main`` registers just the command it runs
    (a name from ``COMMANDS``) so that one command does not pay for importing the others.

    Example:
        >>> sorted(build_parser("fit")._subparsers._group_actions[0].choices)
        ['fit']
    """
    parser = argparse.ArgumentParser(
        prog="noisyprobe",
        description="Frozen foundation models on noisy medical labels: diagnose, train, benchmark.",
    )
    parser.add_argument("--version", action="version", version=f"noisyprobe {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS if only not in COMMANDS else (only,):
        try:
            module = importlib.import_module(f"noisyprobe.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"noisyprobe.commands.{name}":
                continue  # command not built yet
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 on success, 2 on a user error)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv[0] if argv else None)
    args = parser.parse_args(argv)
    try:
        result = args.func(args)
    except NoisyProbeError as exc:
        print(f"noisyprobe {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        message = system_error_message(exc)
        if message is None:
            raise
        print(f"noisyprobe {args.command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"noisyprobe {args.command}: interrupted", file=sys.stderr)
        return 130
    return int(result or 0)


def system_error_message(exc: BaseException) -> str | None:
    """One line for an error of the system rather than of noisyprobe (None: a real bug).

    Example:
        >>> system_error_message(PermissionError(13, "Permission denied", "/ro/out.json"))
        'Permission denied: /ro/out.json'
        >>> system_error_message(ZeroDivisionError()) is None
        True
    """
    import pickle
    import sqlite3

    if isinstance(exc, OSError):
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror or exc}{where}"
    if isinstance(exc, sqlite3.Error):
        return f"SQLite: {exc}"
    if isinstance(exc, MemoryError) or (
        isinstance(exc, RuntimeError) and "allocate memory" in str(exc)
    ):
        return "out of memory (lower sizes such as --param hidden=, --batch-size or the grid)"
    if isinstance(exc, pickle.UnpicklingError):
        first = str(exc).strip().splitlines()[:1]
        return "refused to load pickled data (use safetensors weights)" + (
            f": {first[0]}" if first else ""
        )
    return None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
