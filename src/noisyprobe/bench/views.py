"""Label views: one extracted FeatureSet serves many tasks without encoding it again.

A dataset such as ``iu-xray-reports`` stores the labels of every task as columns
(``human_<task>``, ``automatic_<task>``). A grid entry that names ``labels: human_effusion``
and ``label_columns: {automatic: automatic_effusion}`` trains on that task: its view is a
FeatureSet folder next to the extracted one, with the same features, ids and splits, the
chosen column as the clean labels and the renamed columns as real noisy labels. Encoding the
reports once (minutes per backbone on CPU) then serves all tasks.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from noisyprobe.errors import NoisyProbeError


def view_path(base: Path, fingerprint: str, recipe: Mapping[str, object]) -> Path:
    """Where the view ``recipe`` of the FeatureSet at ``base`` is cached (next to it)."""
    from noisyprobe.bench.spec import canonical_json

    tag = hashlib.sha256(canonical_json({"base": fingerprint, **recipe}).encode()).hexdigest()
    return base.parent / f"{base.name}--view-{tag[:12]}"


def derive_view(
    base: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    labels: str | None,
    columns: Sequence[tuple[str, str]],
    classes: Sequence[str] | None = None,
) -> Path:
    """Write the view of ``base`` whose clean labels are the column ``labels``.

    Args:
        base: the extracted FeatureSet folder.
        out: the view's folder (written atomically; an existing one is kept as it is).
        labels: the label column used as clean labels (``None``: the base's own labels).
        columns: (name in the view, column of the base) for each real noisy label column.
        classes: class names of the view (``None``: those of the base).

    Returns:
        ``out``.

    Raises:
        NoisyProbeError: a named column is missing, or ``classes`` does not fit the labels.

    Example:
        >>> import numpy as np, tempfile, pathlib
        >>> from noisyprobe.features.store import FeatureSet
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> _ = FeatureSet(np.eye(3), [0, 1, 1], extra_labels={"h_a": [1, 0, 0], "a_a": [1, 0, 1]}
        ...                ).save(d / "fs")
        >>> out = derive_view(d / "fs", d / "v", labels="h_a", columns=[("auto", "a_a")])
        >>> v = FeatureSet.load(out)
        >>> v.labels.tolist(), v.extra_labels["auto"].tolist(), v.metadata["view"]["labels"]
        ([1, 0, 0], [1, 0, 1], 'h_a')
    """
    from noisyprobe.features.store import FeatureSet

    out = Path(out)
    if (out / "manifest.json").exists():
        return out
    fs = FeatureSet.load(base, verify=True)
    have = fs.label_columns

    def column(name: str, what: str):
        if name not in have:
            raise NoisyProbeError(
                f"{what}: {name!r} is not a label column of {base}; it has: {', '.join(have)}"
            )
        return fs.label_column(name)

    clean = fs.labels if labels is None else column(labels, "labels")
    extra = {name: column(src, f"label_columns.{name}") for name, src in columns}
    meta = dict(fs.metadata)
    dataset = str(meta.get("dataset") or Path(base).name)
    meta["view"] = {"base_dataset": dataset, "labels": labels, "columns": dict(columns)}
    meta["dataset"] = dataset if labels is None else f"{dataset}[{labels}]"
    if classes is not None and len(classes) < int(clean.max(initial=0)) + 1:
        raise NoisyProbeError(
            f"classes: {len(classes)} names for labels up to {int(clean.max())} in {labels!r}"
        )
    view = FeatureSet(
        fs.features,
        clean,
        fs.splits,
        ids=fs.ids,
        extra_labels=extra,
        classes=list(classes) if classes is not None else fs.classes,
        metadata=meta,
        check_finite=False,
    )
    try:
        view.save(out)
    except NoisyProbeError:
        if not (out / "manifest.json").exists():  # not a concurrent writer's finished view
            raise
    return out
