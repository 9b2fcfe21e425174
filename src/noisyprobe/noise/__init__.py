"""Seeded label-noise models and what they actually injected.

:func:`inject` corrupts a label vector with one of the registered kinds (``symmetric``,
``symmetric-inclusive``, ``asymmetric``, ``transition``, ``instance``, ``empirical``) under
``exact`` or ``bernoulli`` counting, and returns a :class:`NoisyLabels` with the noisy labels,
the mask of changed labels, the realized rate and the empirical transition matrix.
Unlabelled samples (-1) are never touched and never counted. Same seed, same labels.

Example:
    >>> from noisyprobe.noise import inject
    >>> nl = inject([0, 1, 2, 0, 1, 2, 0, 1, 2, 0], "symmetric", 0.3, 3, seed=0)
    >>> nl.realized_rate, int(nl.is_noisy.sum())
    (0.3, 3)
"""

from __future__ import annotations

import inspect
import math
from typing import Any

import numpy as np

from noisyprobe.errors import NoisyProbeError
from noisyprobe.noise import asymmetric as _asymmetric  # noqa: F401  (registers the kind)
from noisyprobe.noise import empirical as _empirical  # noqa: F401
from noisyprobe.noise import instance as _instance  # noqa: F401
from noisyprobe.noise import symmetric as _symmetric  # noqa: F401
from noisyprobe.noise import transition as _transition  # noqa: F401
from noisyprobe.noise.base import (
    COUNTINGS,
    NOISE_KINDS,
    NoisyLabels,
    _label_vector,
    estimate_transition,
    exact_count,
)

__all__ = [
    "NoisyLabels",
    "available",
    "describe",
    "estimate_transition",
    "check_options",
    "exact_count",
    "implied_rate",
    "inject",
    "uses_rate",
]

_FIXED = ("y", "num_classes", "rate", "rng", "counting")


def available() -> list[str]:
    """Names of the registered noise kinds.

    Example:
        >>> "symmetric-inclusive" in available()
        True
    """
    return NOISE_KINDS.names()


def uses_rate(kind: str) -> bool:
    """Whether ``kind`` takes a rate (``empirical`` takes its strength from a matrix).

    Example:
        >>> uses_rate("symmetric"), uses_rate("empirical")
        (True, False)
    """
    return bool(NOISE_KINDS.get(kind).uses_rate)


_DATA_OPTIONS = ("pair_map", "transition", "features")
"""Options that come from the data or from Python, not from a grid spec."""


def check_options(kind: str, options: dict[str, Any]) -> None:
    """Refuse options ``kind`` does not take, or a required one that is missing.

    Options the data supplies (``features``, ``pair_map``, ``transition``) count as given.
    A rate-free kind's options are also tried on a one-sample task, so a bad value (an
    unknown ``empirical`` source or finding) is refused here, before any run.

    Raises:
        NoisyProbeError: naming the option and what the kind accepts.

    Example:
        >>> check_options("empirical", {"source": "vindr-readers", "finding": "cardiomegaly"})
        >>> try:
        ...     check_options("symmetric", {"source": "x"})
        ... except NoisyProbeError as exc:
        ...     print(exc)
        option 'source' does not apply to noise kind 'symmetric' (it accepts: none)
    """
    fn = NOISE_KINDS.get(kind)
    supplied = {name: None for name in _DATA_OPTIONS if name in inspect.signature(fn).parameters}
    _kind_options(kind, fn, {**supplied, **options})
    if not fn.uses_rate:
        fn.implied_rate(np.zeros(1, dtype=np.int64), **options)


def implied_rate(kind: str, labels: object, num_classes: int, **options: Any) -> float:
    """The expected share of changed labels of a rate-free kind on ``labels`` (-1 ignored).

    Example:
        >>> round(implied_rate("empirical", [0, 1], 2, source="vindr-readers",
        ...                    finding="cardiomegaly"), 4)
        0.0652
    """
    fn = NOISE_KINDS.get(kind)
    y = _label_vector(labels, "labels", int(num_classes))
    return float(fn.implied_rate(y[y >= 0], **options))


def _check_rate(kind: str, rate: object, uses_rate: bool) -> float | None:
    if not uses_rate:
        if rate is not None:
            raise NoisyProbeError(
                f"noise kind {kind!r} takes its strength from its matrix; pass rate=None"
            )
        return None
    if isinstance(rate, bool) or not isinstance(rate, (int, float, np.integer, np.floating)):
        raise NoisyProbeError(f"rate must be a number in [0, 1], got {rate!r}")
    if not (math.isfinite(rate) and 0.0 <= rate <= 1.0):
        raise NoisyProbeError(f"rate must be a number in [0, 1], got {rate!r}")
    return float(rate)


def _kind_options(kind: str, fn: Any, options: dict[str, Any]) -> dict[str, Any]:
    params = {
        name: p
        for name, p in inspect.signature(fn).parameters.items()
        if name not in _FIXED and p.kind == inspect.Parameter.KEYWORD_ONLY
    }
    for name in options:
        if name not in params:
            accepted = ", ".join(params) or "none"
            raise NoisyProbeError(
                f"option {name!r} does not apply to noise kind {kind!r} (it accepts: {accepted})"
            )
    for name, p in params.items():
        if p.default is inspect.Parameter.empty and name not in options:
            raise NoisyProbeError(f"noise kind {kind!r} needs {name}=...")
    return options


def inject(
    labels: object,
    kind: str,
    rate: float | None,
    num_classes: int,
    seed: int,
    *,
    counting: str = "exact",
    pair_map: object = None,
    transition: object = None,
    features: object = None,
    **options: Any,
) -> NoisyLabels:
    """Corrupt ``labels`` with the noise ``kind`` at ``rate``; deterministic in ``seed``.

    Args:
        labels: [N] class indices in [0, num_classes), -1 for unlabelled (left untouched).
        kind: one of :func:`available`.
        rate: noise rate in [0, 1]; must be None for ``transition`` (the matrix sets it).
        num_classes: C.
        seed: non-negative integer seeding a ``numpy.random.Generator``.
        counting: ``"exact"`` (exactly round(r·N_eligible) samples selected, rounded half
            up) or ``"bernoulli"`` (each eligible sample independently with probability r).
        pair_map: ``asymmetric`` only: dict {src: dst} or array of length C.
        transition: ``transition`` only: C x C row-stochastic matrix.
        features: ``instance`` only: [N, D] features, one row per label.
        **options: further kind-specific options (``instance``: rate_std, temperature).

    Example:
        >>> nl = inject([0, 0, 1, 1, -1], "asymmetric", 1.0, 2, seed=0)
        >>> nl.labels.tolist(), nl.realized_rate
        ([1, 1, 0, 0, -1], 1.0)
    """
    fn = NOISE_KINDS.get(kind)
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise NoisyProbeError(f"num_classes must be a positive integer, got {num_classes!r}")
    if num_classes < 1:
        raise NoisyProbeError(f"num_classes must be a positive integer, got {num_classes}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise NoisyProbeError(f"seed must be a non-negative integer, got {seed!r}")
    if counting not in COUNTINGS:
        raise NoisyProbeError(f"counting must be one of {', '.join(COUNTINGS)}, got {counting!r}")
    rate_value = _check_rate(kind, rate, fn.uses_rate)
    clean = _label_vector(labels, "labels", int(num_classes))
    labelled = clean >= 0
    if not labelled.any():
        raise NoisyProbeError("labels hold no labelled sample (all are -1 or the array is empty)")

    given = {"pair_map": pair_map, "transition": transition, "features": features}
    opts = {k: v for k, v in given.items() if v is not None} | options
    opts = _kind_options(kind, fn, opts)
    if "features" in opts:
        x = np.asarray(opts["features"])
        if x.ndim < 1 or x.shape[0] != clean.size:
            raise NoisyProbeError(
                f"features must have one row per label: got shape {x.shape} for {clean.size} labels"
            )
        opts["features"] = x[labelled]

    y = clean[labelled]
    rng = np.random.default_rng(int(seed))
    new = fn(y, num_classes=int(num_classes), rate=rate_value, rng=rng, counting=counting, **opts)
    noisy = clean.copy()
    noisy[labelled] = new
    is_noisy = noisy != clean
    if rate_value is None:
        rate_value = fn.implied_rate(y, **opts)
    return NoisyLabels(
        labels=noisy,
        is_noisy=is_noisy,
        realized_rate=float(is_noisy.sum() / labelled.sum()),
        transition=estimate_transition(clean, noisy, int(num_classes)),
        kind=kind,
        rate=rate_value,
        counting=counting,
        seed=int(seed),
    )


def describe(noisy: NoisyLabels) -> dict[str, Any]:
    """A JSON-ready summary for reports: kind, its convention, rate, realized rate, counting.

    Example:
        >>> d = describe(inject([0, 1, 0, 1], "symmetric", 0.5, 2, seed=0))
        >>> d["kind"], d["rate"], d["realized"], d["counting"]
        ('symmetric', 0.5, 0.5, 'exact')
    """
    labelled = int((noisy.labels >= 0).sum())
    return {
        "kind": noisy.kind,
        "convention": NOISE_KINDS.get(noisy.kind).convention,
        "rate": noisy.rate,
        "realized": noisy.realized_rate,
        "counting": noisy.counting,
        "seed": noisy.seed,
        "num_changed": noisy.num_changed,
        "num_labelled": labelled,
    }
