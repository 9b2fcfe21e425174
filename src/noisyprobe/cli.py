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

COMMANDS = ("datasets", "extract", "fit", "diagnose", "bench", "select", "demo")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="noisyprobe",
        description="Frozen foundation models on noisy medical labels: diagnose, train, benchmark.",
    )
    parser.add_argument("--version", action="version", version=f"noisyprobe {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
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
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.func(args)
    except NoisyProbeError as exc:
        print(f"noisyprobe {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"noisyprobe {args.command}: interrupted", file=sys.stderr)
        return 130
    return int(result or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
