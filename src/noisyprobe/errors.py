"""User-facing errors.

Every problem a user can fix (a bad path, an unknown name, malformed input) raises
:class:`NoisyProbeError`. The CLI prints its message as one line and exits non-zero.
"""

from __future__ import annotations


class NoisyProbeError(Exception):
    """An error caused by the user's input, reported as one line by the CLI."""


class MissingExtraError(NoisyProbeError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""

    def __init__(self, package: str, extra: str) -> None:
        super().__init__(
            f"this feature needs the '{package}' package: pip install 'noisyprobe[{extra}]'"
        )


def require(module: str, *, extra: str):
    """Import an optional heavy dependency, or raise an error naming its extra.

    Example:
        >>> np = require("numpy", extra="core")
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingExtraError(module.split(".")[0], extra) from exc
