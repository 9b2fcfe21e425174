"""One place that decides whether a progress bar is drawn: only on an interactive stderr.

Progress bars write carriage returns that garble log files and CI output, so every bar in
noisyprobe comes from :func:`progress_bar`, which draws only when asked *and* stderr is a
terminal.
"""

from __future__ import annotations

import sys
from typing import Any


def show_progress(enabled: bool = True) -> bool:
    """True when a bar was asked for and stderr is a terminal.

    Example:
        >>> show_progress(False)
        False
    """
    if not enabled:
        return False
    isatty = getattr(sys.stderr, "isatty", None)
    try:
        return bool(isatty()) if isatty is not None else False
    except (ValueError, OSError):  # closed or detached stream
        return False


def progress_bar(*, total: int | None, desc: str, enabled: bool = True, **options: Any):
    """A ``tqdm`` bar on stderr, disabled unless ``enabled`` and stderr is a terminal.

    Example:
        >>> bar = progress_bar(total=2, desc="demo", enabled=False)
        >>> bar.update(2); bar.close()
    """
    from tqdm.auto import tqdm

    options.setdefault("leave", False)
    return tqdm(
        total=total, desc=desc, file=sys.stderr, disable=not show_progress(enabled), **options
    )
