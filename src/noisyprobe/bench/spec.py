"""The benchmark grid spec: a YAML file naming FeatureSets, noise, methods, seeds and training.

A spec is validated field by field (one-line errors naming the field) into a :class:`GridSpec`.
Once its FeatureSets exist (:mod:`noisyprobe.bench.featuresets`), :func:`expand` turns it into
one :class:`GridRun` per (FeatureSet, condition, method setting, seed), each with a canonical
JSON spec and ``key`` = sha256 of that JSON: the ledger's primary key. Nothing but the run's
own spec enters the key, so the same run has the same key in every grid that contains it.

Example spec (see ``examples/bench-offline.yaml``)::

    featuresets:
      toy: {path: features/toy}                # relative to the spec file
      mnist: {dataset: mnist-5k, backbone: efficientnet-lite0, path: features/mnist}
    noise: {kinds: [symmetric, asymmetric], rates: [0.0, 0.2, 0.4], label_columns: [rnn]}
    methods: {lp: {}, gce: {q: 0.7}, elr: [{lam: 3.0}, {lam: 1.0}]}
    seeds: 0-2
    metric: balanced_accuracy
    train: {epochs: 20}

A FeatureSet entry can also be a *view* of an extracted one (``bench.views``): ``labels:``
names the column used as clean labels, ``label_columns:`` may map a name to a source
column, ``classes:`` renames the classes; every task of a multi-task dataset then shares
one extraction. ``noise.options`` (and a FeatureSet's ``noise_options``, which override
it) give a kind its options, e.g. ``{empirical: {source: vindr-readers, finding:
cardiomegaly}}``. A kind whose matrix sets its strength (``empirical``) is one condition,
whatever the rates, recorded at the rate it implies on the clean training labels::

    featuresets:
      iu-effusion:
        dataset: iu-xray-reports
        backbone: minilm
        labels: human_effusion
        label_columns: {automatic: automatic_effusion}
        noise_options: {empirical: {source: vindr-readers, finding: pleural-effusion}}
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from noisyprobe.errors import NoisyProbeError

SPEC_VERSION = 3
# 2: training defaults changed (L2 penalty C=0.1 on every head, 8000-step budget), so runs of
# version-1 ledgers are not taken for today's.
# 3: C="auto" by default (cross-validated C for linear heads), so version-2 runs differ.
METRICS = {"balanced_accuracy": True, "accuracy": True, "macro_f1": True, "ece": False}
"""Metrics a grid can rank by, mapped to whether higher is better."""
COUNTING = ("exact", "bernoulli")
_FS_KEYS = {
    "path",
    "dataset",
    "backbone",
    "options",
    "backbone_options",
    "splits",
    "limit",
    "label_columns",
    "labels",
    "classes",
    "noise_options",
}
_TOP_KEYS = {"name", "featuresets", "noise", "methods", "seeds", "metric", "train", "eval_split"}
_NOISE_KEYS = {"kinds", "rates", "counting", "label_columns", "options"}


@dataclass(frozen=True)
class FeatureSetEntry:
    """One FeatureSet of the grid: an existing folder, or a dataset x backbone to extract.

    Attributes:
        name: the name used in the ledger and the tables.
        path: the folder (absolute; relative paths in the spec are resolved against it).
        dataset: dataset name to extract from when ``path`` holds no FeatureSet.
        backbone: backbone name for the extraction.
        options: dataset options (``noisyprobe.data.get(dataset, **options)``).
        backbone_options: backbone options.
        splits: only these splits are extracted (``None``: all).
        limit: only the first ``limit`` selected samples are extracted.
        label_columns: real noisy label columns to train on (``None``: those of ``noise``).
        labels: a label column to use as the clean labels (a view, see ``bench.views``).
        column_sources: (name, source column) of label columns the view renames.
        classes: class names of the view.
        noise_options: noise kind -> options for this FeatureSet (e.g. the ``empirical``
            source and finding that fit its task); they override ``noise.options``.
    """

    name: str
    path: Path | None = None
    dataset: str | None = None
    backbone: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    backbone_options: dict[str, Any] = field(default_factory=dict)
    splits: tuple[str, ...] | None = None
    limit: int | None = None
    label_columns: tuple[str, ...] | None = None
    labels: str | None = None
    column_sources: tuple[tuple[str, str], ...] = ()
    classes: tuple[str, ...] | None = None
    noise_options: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def is_view(self) -> bool:
        """Whether the entry relabels an extracted FeatureSet (``bench.views``)."""
        return self.labels is not None or self.classes is not None or bool(self.column_sources)


@dataclass(frozen=True)
class GridSpec:
    """A validated grid: what to run, before the FeatureSets are resolved.

    Attributes:
        featuresets: the FeatureSets, in spec order.
        noise: injected noise kind -> rates (a rate of 0 is the clean condition).
        counting: ``"exact"`` or ``"bernoulli"`` noise counting.
        label_columns: real noisy label columns trained on, for every FeatureSet that has them.
        methods: (method name, hyperparameters) settings, in spec order.
        seeds: the seeds; every seed draws its own injected noise.
        metric: the metric tables rank by (every metric is stored).
        train: keyword arguments of :class:`noisyprobe.train.TrainConfig`.
        eval_split: split scored with the clean main labels.
        name: a label for the grid.
        source: the spec file, if it came from one.
        noise_options: noise kind -> options for every FeatureSet (``noise.options``).
    """

    featuresets: tuple[FeatureSetEntry, ...]
    noise: dict[str, tuple[float, ...]]
    counting: str
    label_columns: tuple[str, ...]
    methods: tuple[tuple[str, dict[str, Any]], ...]
    seeds: tuple[int, ...]
    metric: str = "balanced_accuracy"
    train: dict[str, Any] = field(default_factory=dict)
    eval_split: str = "test"
    name: str = "grid"
    source: Path | None = None
    noise_options: dict[str, dict[str, Any]] = field(default_factory=dict)

    def options_for(self, entry: FeatureSetEntry, kind: str | None) -> dict[str, Any]:
        """The options of noise ``kind`` for ``entry``: the spec's, then the entry's."""
        if not kind:
            return {}
        return {**self.noise_options.get(kind, {}), **entry.noise_options.get(kind, {})}

    @property
    def higher_is_better(self) -> bool:
        return METRICS[self.metric]


@dataclass(frozen=True)
class FeatureSetInfo:
    """What expansion needs to know of a resolved FeatureSet (read from its manifest).

    Attributes:
        name: the spec's name for it.
        path: its folder.
        fingerprint: sha256 over the sha256 of its arrays: the data's identity.
        dataset: the dataset it was extracted from (metadata), or the name.
        backbone: the backbone (metadata), or ``""``.
        label_columns: the extra label columns it carries.
    """

    name: str
    path: Path
    fingerprint: str
    dataset: str
    backbone: str
    label_columns: tuple[str, ...]


@dataclass(frozen=True)
class GridRun:
    """One run of the grid.

    Attributes:
        key: sha256 of ``spec_json``; the ledger's primary key.
        spec_json: the canonical JSON of the run (sorted keys, no spaces).
        condition_key: sha256 of the run's spec without method, params and seed.
        featureset: FeatureSet name.
        dataset: dataset of the FeatureSet.
        backbone: backbone of the FeatureSet.
        label_column: label column trained on (``None``: the main labels).
        noise_kind: injected noise kind (``None``: none).
        rate: injected noise rate (0 for clean and real-noise conditions; for a kind whose
            strength comes from a matrix, such as ``empirical``, the rate it implies).
        counting: noise counting.
        method: method name.
        params: method hyperparameters.
        seed: the run's seed (noise draw, initialisation and data order).
    """

    key: str
    spec_json: str
    condition_key: str
    featureset: str
    dataset: str
    backbone: str
    label_column: str | None
    noise_kind: str | None
    rate: float
    counting: str
    method: str
    params: dict[str, Any]
    seed: int
    noise_options: dict[str, Any] = field(default_factory=dict)

    @property
    def spec(self) -> dict[str, Any]:
        return json.loads(self.spec_json)

    @property
    def params_json(self) -> str:
        return canonical_json(self.params)

    @property
    def noise_label(self) -> str:
        """``none``, an injected kind, or ``real:<column>`` for a real noisy label column."""
        if self.label_column:
            return f"real:{self.label_column}"
        return self.noise_kind or "none"

    @property
    def condition_name(self) -> str:
        if self.label_column:
            return f"{self.featureset}/{self.label_column}"
        if self.noise_kind:
            return f"{self.featureset}/{self.noise_kind}@{self.rate:g}"
        return f"{self.featureset}/clean"


def canonical_json(obj: Any) -> str:
    """JSON with sorted keys and no whitespace: equal specs give equal bytes.

    Example:
        >>> canonical_json({"b": 1, "a": [0.5, None]})
        '{"a":[0.5,null],"b":1}'
    """
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    )


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- loading
def load_spec(path: str | os.PathLike[str]) -> GridSpec:
    """Read and validate a YAML grid spec; relative FeatureSet paths are resolved against it.

    Example:
        >>> import tempfile, pathlib
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "g.yaml"
        >>> _ = f.write_text("featuresets: {toy: {path: fs}}\\nnoise: {rates: [0.0]}\\n"
        ...                  "methods: {lp: {}}\\nseeds: 0-1\\n")
        >>> spec = load_spec(f)
        >>> spec.seeds, spec.featuresets[0].path == f.parent / "fs"
        ((0, 1), True)
    """
    import yaml

    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise NoisyProbeError(f"cannot read grid spec {path}: {exc.strerror or exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise NoisyProbeError(f"{path}: not valid YAML{where}") from None
    return parse_spec(data, base_dir=path.parent, source=path)


def parse_spec(
    data: Any, *, base_dir: str | os.PathLike[str] = ".", source: Path | None = None
) -> GridSpec:
    """Validate a spec already parsed into Python objects; see :func:`load_spec`.

    Raises:
        NoisyProbeError: one line naming the first bad field and what was expected.
    """
    where = f"{source}: " if source else "spec: "

    def fail(field_name: str, message: str) -> NoisyProbeError:
        return NoisyProbeError(f"{where}{field_name}: {message}")

    if not isinstance(data, Mapping):
        raise NoisyProbeError(f"{where}expected a mapping with featuresets, methods, seeds, ...")
    unknown = sorted(set(map(str, data)) - _TOP_KEYS)
    if unknown:
        raise fail(unknown[0], f"unknown field; expected one of: {', '.join(sorted(_TOP_KEYS))}")
    base = Path(base_dir)
    featuresets = _parse_featuresets(data.get("featuresets"), base, fail)
    noise, counting, label_columns = _parse_noise(data.get("noise"), fail)
    raw_noise = data.get("noise") if isinstance(data.get("noise"), Mapping) else {}
    noise_options = _noise_options(raw_noise.get("options"), "noise.options", fail)
    methods = _parse_methods(data.get("methods"), fail)
    seeds = _parse_seeds(data.get("seeds", [0]), fail)
    metric = data.get("metric", "balanced_accuracy")
    if metric not in METRICS:
        raise fail("metric", f"{metric!r} is not one of: {', '.join(METRICS)}")
    train = data.get("train") or {}
    if not isinstance(train, Mapping):
        raise fail("train", "expected a mapping of TrainConfig fields, e.g. {epochs: 20}")
    train = _check_train(dict(train), fail)
    eval_split = data.get("eval_split", "test")
    if not isinstance(eval_split, str) or not eval_split:
        raise fail("eval_split", f"expected a split name such as 'test', got {eval_split!r}")
    name = data.get("name", source.stem if source else "grid")
    if not isinstance(name, str) or not name:
        raise fail("name", "expected a non-empty string")
    if not noise and not label_columns and not any(fs.label_columns for fs in featuresets):
        raise fail("noise", "no condition: give noise.rates (0 = clean) or label_columns")
    return GridSpec(
        featuresets=featuresets,
        noise=noise,
        counting=counting,
        label_columns=label_columns,
        methods=methods,
        seeds=seeds,
        metric=metric,
        train=train,
        eval_split=eval_split,
        name=name,
        source=source,
        noise_options=noise_options,
    )


def _noise_options(raw: Any, field_name: str, fail) -> dict[str, dict[str, Any]]:
    """``{kind: {option: value}}``: checked against the kind's keyword options."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise fail(field_name, "expected a mapping noise kind -> {option: value}")
    known = _noise_kinds()
    out: dict[str, dict[str, Any]] = {}
    for kind, options in raw.items():
        if known is not None and kind not in known:
            raise fail(
                field_name, f"unknown noise kind {kind!r}; expected one of: {', '.join(known)}"
            )
        if not isinstance(options, Mapping):
            raise fail(f"{field_name}.{kind}", "expected a mapping of options, e.g. {source: ...}")
        try:
            from noisyprobe.noise import check_options

            check_options(str(kind), dict(options))
        except NoisyProbeError as exc:
            raise fail(f"{field_name}.{kind}", str(exc)) from None
        out[str(kind)] = dict(options)
    return out


def _label_columns(raw: Any, field_name: str, fail):
    """A list of column names, or a mapping name -> source column (a view renames them)."""
    if raw is None:
        return None, ()
    if isinstance(raw, Mapping):
        pairs = []
        for name, src in raw.items():
            if not isinstance(name, str) or not isinstance(src, str) or not name or not src:
                raise fail(field_name, "expected a mapping name -> source label column")
            pairs.append((name, src))
        if not pairs:
            raise fail(field_name, "expected at least one label column")
        return tuple(n for n, _ in pairs), tuple(pairs)
    names = _names(raw, field_name, fail)
    return names, tuple((n, n) for n in names)


def _names(value: Any, field_name: str, fail) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Sequence) or not all(isinstance(v, str) and v for v in value):
        raise fail(field_name, f"expected a list of names, got {value!r}")
    if len(set(value)) != len(value):
        raise fail(field_name, "names must not repeat")
    return tuple(value)


def _parse_featuresets(raw: Any, base: Path, fail) -> tuple[FeatureSetEntry, ...]:
    if isinstance(raw, Sequence) and not isinstance(raw, str):
        items = []
        for i, entry in enumerate(raw):
            if not isinstance(entry, Mapping) or "name" not in entry:
                raise fail(f"featuresets[{i}]", "expected a mapping with a name")
            items.append((entry["name"], {k: v for k, v in entry.items() if k != "name"}))
    elif isinstance(raw, Mapping):
        items = list(raw.items())
    else:
        raise fail("featuresets", "expected a mapping name -> {path: DIR} or {dataset, backbone}")
    if not items:
        raise fail("featuresets", "at least one FeatureSet is needed")
    out = []
    seen: set[str] = set()
    for name, entry in items:
        fname = f"featuresets.{name}"
        if not isinstance(name, str) or not name or "/" in name:
            raise fail(fname, "expected a non-empty name without '/'")
        if name in seen:
            raise fail(fname, "duplicate FeatureSet name")
        seen.add(name)
        if isinstance(entry, str):
            entry = {"path": entry}
        if not isinstance(entry, Mapping):
            raise fail(fname, "expected {path: DIR} or {dataset: NAME, backbone: NAME}")
        unknown = sorted(set(entry) - _FS_KEYS)
        if unknown:
            raise fail(
                f"{fname}.{unknown[0]}", f"unknown field; expected: {', '.join(sorted(_FS_KEYS))}"
            )
        dataset, backbone = entry.get("dataset"), entry.get("backbone")
        if (dataset is None) != (backbone is None):
            raise fail(fname, "dataset and backbone go together (a FeatureSet to extract)")
        path = entry.get("path")
        if path is None and dataset is None:
            raise fail(fname, "expected a path, or a dataset and backbone to extract")
        for key in ("dataset", "backbone"):
            if entry.get(key) is not None and not isinstance(entry[key], str):
                raise fail(f"{fname}.{key}", "expected a name")
        if path is not None and not isinstance(path, str):
            raise fail(f"{fname}.path", f"expected a folder path, got {path!r}")
        for key in ("options", "backbone_options"):
            if not isinstance(entry.get(key) or {}, Mapping):
                raise fail(f"{fname}.{key}", "expected a mapping")
        limit = entry.get("limit")
        if limit is not None and (
            not isinstance(limit, int) or isinstance(limit, bool) or limit < 1
        ):
            raise fail(f"{fname}.limit", f"expected a positive integer, got {limit!r}")
        splits = entry.get("splits")
        cols, sources = _label_columns(entry.get("label_columns"), f"{fname}.label_columns", fail)
        labels = entry.get("labels")
        if labels is not None and (not isinstance(labels, str) or not labels):
            raise fail(f"{fname}.labels", f"expected a label column name, got {labels!r}")
        classes = entry.get("classes")
        if classes is not None:
            classes = _names(classes, f"{fname}.classes", fail)
        view = labels is not None or any(n != s for n, s in sources) or classes is not None
        if view and dataset is None and path is None:
            raise fail(fname, "a view needs the FeatureSet it relabels: a path or a dataset")
        resolved = None
        if path is not None:
            resolved = Path(os.path.expanduser(path))
            resolved = resolved if resolved.is_absolute() else base / resolved
        out.append(
            FeatureSetEntry(
                name=name,
                path=resolved,
                dataset=dataset,
                backbone=backbone,
                options=dict(entry.get("options") or {}),
                backbone_options=dict(entry.get("backbone_options") or {}),
                splits=None if splits is None else _names(splits, f"{fname}.splits", fail),
                limit=limit,
                label_columns=cols,
                labels=labels,
                column_sources=sources if view else (),
                classes=classes,
                noise_options=_noise_options(
                    entry.get("noise_options"), f"{fname}.noise_options", fail
                ),
            )
        )
    return tuple(out)


def _rate(value: Any, field_name: str, fail) -> float:
    from noisyprobe.commands._common import check_rate

    try:
        return check_rate(value, what=field_name)
    except NoisyProbeError:
        raise fail(field_name, f"expected a noise rate in [0, 1), got {value!r}") from None


def _parse_noise(raw: Any, fail) -> tuple[dict[str, tuple[float, ...]], str, tuple[str, ...]]:
    if raw is None:
        return {}, "exact", ()
    if not isinstance(raw, Mapping):
        raise fail("noise", "expected a mapping with kinds, rates, counting, label_columns")
    unknown = sorted(set(raw) - _NOISE_KEYS)
    if unknown:
        raise fail(
            f"noise.{unknown[0]}", f"unknown field; expected: {', '.join(sorted(_NOISE_KEYS))}"
        )
    counting = raw.get("counting", "exact")
    if counting not in COUNTING:
        raise fail("noise.counting", f"expected one of {', '.join(COUNTING)}, got {counting!r}")
    kinds_raw = raw.get("kinds", [])
    rates_raw = raw.get("rates")
    noise: dict[str, tuple[float, ...]] = {}
    if isinstance(kinds_raw, Mapping):
        if rates_raw is not None:
            raise fail("noise.rates", "give rates per kind (kinds: {symmetric: [0.2]}) or here")
        for kind, rates in kinds_raw.items():
            noise[str(kind)] = _rates(rates, f"noise.kinds.{kind}", fail)
    else:
        kinds = _names(kinds_raw, "noise.kinds", fail)
        if kinds and rates_raw is None:
            raise fail("noise.rates", "expected a list of rates for the kinds, e.g. [0.0, 0.2]")
        if rates_raw is not None and not kinds:
            if any(_rate(r, "noise.rates", fail) > 0 for r in _listify(rates_raw)):
                raise fail("noise.kinds", "rates above 0 need at least one noise kind")
            noise["none"] = (0.0,)
        for kind in kinds:
            noise[kind] = _rates(rates_raw, "noise.rates", fail)
    known = _noise_kinds()
    for kind in noise:
        if kind != "none" and known is not None and kind not in known:
            raise fail(
                "noise.kinds", f"unknown noise kind {kind!r}; expected one of: {', '.join(known)}"
            )
        if kind in ("transition",):
            raise fail("noise.kinds", "'transition' needs a matrix; use it from Python, not a grid")
    cols = _names(raw.get("label_columns", []), "noise.label_columns", fail)
    return noise, counting, cols


def _listify(value: Any) -> list[Any]:
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str) else [value]


def _rates(raw: Any, field_name: str, fail) -> tuple[float, ...]:
    rates = [_rate(r, field_name, fail) for r in _listify(raw)]
    if not rates or len(set(rates)) != len(rates):
        raise fail(field_name, "expected distinct rates, e.g. [0.0, 0.2, 0.4]")
    return tuple(rates)


def _noise_kinds() -> list[str] | None:
    try:
        from noisyprobe import noise
    except ImportError:  # pragma: no cover - the noise package ships with noisyprobe
        return None
    available = getattr(noise, "available", None)
    return list(available()) if callable(available) else None


def _parse_methods(raw: Any, fail) -> tuple[tuple[str, dict[str, Any]], ...]:
    if isinstance(raw, Sequence) and not isinstance(raw, str):
        raw = {name: {} for name in _names(raw, "methods", fail)}
    if not isinstance(raw, Mapping) or not raw:
        raise fail("methods", "expected a mapping method -> {hyperparameters} (or a list of them)")
    known = _method_names()
    out: list[tuple[str, dict[str, Any]]] = []
    for name, settings in raw.items():
        fname = f"methods.{name}"
        if known is not None and name not in known:
            raise fail(fname, f"unknown method; expected one of: {', '.join(known)}")
        settings = [settings] if settings is None or isinstance(settings, Mapping) else settings
        if not isinstance(settings, Sequence) or isinstance(settings, str):
            raise fail(fname, "expected {hyperparameters} or a list of them")
        seen: set[str] = set()
        for i, params in enumerate(settings):
            params = dict(params or {}) if isinstance(params, Mapping) or params is None else None
            pname = fname if len(settings) == 1 else f"{fname}[{i}]"
            if params is None:
                raise fail(pname, "expected a mapping of hyperparameters")
            try:
                text = canonical_json(params)
            except (TypeError, ValueError):
                raise fail(pname, "hyperparameters must be plain numbers, strings, lists") from None
            if text in seen:
                raise fail(pname, "duplicate hyperparameter setting")
            seen.add(text)
            _check_method_params(name, params, pname, fail)
            out.append((str(name), json.loads(text)))
    return tuple(out)


def _method_names() -> list[str] | None:
    try:
        from noisyprobe import methods
    except ImportError:  # pragma: no cover
        return None
    return list(methods.available())


def _check_method_params(name: str, params: dict[str, Any], field_name: str, fail) -> None:
    """Build the method once so a bad hyperparameter fails now, not hours into the grid."""
    try:
        from noisyprobe import methods
    except ImportError:  # pragma: no cover
        return
    try:
        methods.get(name)(**params)
    except NoisyProbeError as exc:
        raise fail(field_name, str(exc)) from None
    except TypeError as exc:
        raise fail(field_name, f"bad hyperparameter: {exc}") from None


def _parse_seeds(raw: Any, fail) -> tuple[int, ...]:
    if isinstance(raw, str):
        from noisyprobe.commands._common import parse_seeds

        try:
            return tuple(parse_seeds(raw, flag="seeds"))
        except NoisyProbeError as exc:
            detail = str(exc).split(": ", 1)[-1]
            if detail.startswith("expected"):
                detail = f"expected e.g. 0-4, 0,2,5 or a list, got {raw!r}"
            raise fail("seeds", detail) from None
    values = _listify(raw)
    if not values or not all(
        isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in values
    ):
        raise fail("seeds", f"expected non-negative integers (a list or '0-4'), got {raw!r}")
    if len(set(values)) != len(values):
        raise fail("seeds", "seeds must not repeat")
    from noisyprobe.commands._common import check_seeds

    try:
        check_seeds(values, len(values), what="seeds")
    except NoisyProbeError as exc:
        raise fail("seeds", str(exc).removeprefix("seeds: ")) from None
    return tuple(int(s) for s in values)


def _check_train(train: dict[str, Any], fail) -> dict[str, Any]:
    try:
        import dataclasses

        from noisyprobe.train import TrainConfig
    except ImportError:  # pragma: no cover
        return train
    names = {f.name for f in dataclasses.fields(TrainConfig)}
    for key in train:
        if key not in names:
            raise fail(
                f"train.{key}", f"unknown TrainConfig field; expected: {', '.join(sorted(names))}"
            )
    try:
        TrainConfig(**train)
    except NoisyProbeError as exc:
        raise fail("train", str(exc)) from None
    except (TypeError, ValueError) as exc:
        raise fail("train", str(exc)) from None
    try:
        canonical_json(train)
    except (TypeError, ValueError):
        raise fail("train", "values must be plain numbers, strings or booleans") from None
    return train


# --------------------------------------------------------------------------- expansion
def condition_spec(
    info: FeatureSetInfo,
    *,
    label_column: str | None,
    noise_kind: str | None,
    rate: float,
    counting: str,
    train: Mapping[str, Any],
    eval_split: str,
    noise_options: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The canonical description of a condition: everything of a run but method and seed.

    Noise options appear only when given, so the keys of grids without them do not change.
    """
    noise = {"kind": noise_kind, "rate": rate, "counting": counting if noise_kind else None}
    if noise_options:
        noise["options"] = dict(noise_options)
    return {
        "v": SPEC_VERSION,
        "featureset": {"name": info.name, "fingerprint": info.fingerprint},
        "labels": label_column or "labels",
        "noise": noise,
        "train": dict(train),
        "eval_split": eval_split,
    }


def _uses_rate(kind: str) -> bool:
    from noisyprobe.noise import uses_rate

    return uses_rate(kind)


def _try_options(
    info: FeatureSetInfo, name: str, kind: str, options: dict[str, Any]
) -> float | None:
    """Inject ``kind`` with ``options`` once on the clean training labels, before any run.

    A bad option value (a pair map of the wrong length, an unknown empirical finding) fails
    here, naming the FeatureSet. Returns the rate a rate-free kind implies (4 d.p.).
    """
    import numpy as np

    from noisyprobe._io import load_npy
    from noisyprobe.noise import check_options, implied_rate, inject, uses_rate

    try:
        check_options(kind, options)
        labels = np.asarray(load_npy(info.path / "labels.npy"))
        labels = labels[load_npy(info.path / "splits.npy") == "train"]
        num_classes = int(load_npy(info.path / "labels.npy").max(initial=0)) + 1
        free = not uses_rate(kind)
        inject(labels, kind, None if free else 0.5, num_classes, 0, **options)
        return round(implied_rate(kind, labels, num_classes, **options), 4) if free else None
    except NoisyProbeError as exc:
        raise NoisyProbeError(f"featuresets.{name}: noise kind {kind!r}: {exc}") from None


def expand(spec: GridSpec, featuresets: Mapping[str, FeatureSetInfo]) -> list[GridRun]:
    """All runs of the grid, in a stable order (FeatureSet, condition, method, seed).

    Args:
        spec: the validated grid.
        featuresets: name -> :class:`FeatureSetInfo` for every FeatureSet of the spec.

    Raises:
        NoisyProbeError: a named label column exists in none of the FeatureSets, or one that a
            FeatureSet entry names explicitly is missing from it.
    """
    runs: list[GridRun] = []
    used_columns: set[str] = set()
    for entry in spec.featuresets:
        if entry.name not in featuresets:
            raise NoisyProbeError(f"featuresets.{entry.name}: not resolved")
        info = featuresets[entry.name]
        conditions: list[tuple[str | None, str | None, float, dict[str, Any]]] = []
        for kind, rates in spec.noise.items():
            options = spec.options_for(entry, kind if kind != "none" else None)
            implied = None
            if kind != "none" and (options or not _uses_rate(kind)):
                implied = _try_options(info, entry.name, kind, options)
            if kind != "none" and not _uses_rate(kind):  # one condition: its matrix's rate
                if any(r > 0 for r in rates):
                    cond = (None, kind, implied, options)
                    if cond not in conditions:
                        conditions.append(cond)
                if 0.0 not in rates:
                    continue
            for rate in rates:
                if rate == 0.0 or kind == "none":
                    cond = (None, None, 0.0, {})
                elif not _uses_rate(kind):
                    continue
                else:
                    cond = (None, kind, rate, options)
                if cond not in conditions:
                    conditions.append(cond)
        if entry.label_columns is not None:
            missing = [c for c in entry.label_columns if c not in info.label_columns]
            if missing:
                raise NoisyProbeError(
                    f"featuresets.{entry.name}.label_columns: {missing[0]!r} is not a label "
                    f"column of {info.path}; it has: {', '.join(info.label_columns) or 'none'}"
                )
            columns = entry.label_columns
        else:
            columns = tuple(c for c in spec.label_columns if c in info.label_columns)
        used_columns.update(columns)
        conditions.extend((col, None, 0.0, {}) for col in columns)
        for column, kind, rate, options in conditions:
            cspec = condition_spec(
                info,
                label_column=column,
                noise_kind=kind,
                rate=rate,
                counting=spec.counting,
                train=spec.train,
                eval_split=spec.eval_split,
                noise_options=options,
            )
            ckey = sha256_text(canonical_json(cspec))
            for method, params in spec.methods:
                for seed in spec.seeds:
                    text = canonical_json(
                        {**cspec, "method": method, "params": params, "seed": seed}
                    )
                    runs.append(
                        GridRun(
                            key=sha256_text(text),
                            spec_json=text,
                            condition_key=ckey,
                            featureset=info.name,
                            dataset=info.dataset,
                            backbone=info.backbone,
                            label_column=column,
                            noise_kind=kind,
                            rate=rate,
                            counting=spec.counting,
                            method=method,
                            params=params,
                            seed=seed,
                            noise_options=options,
                        )
                    )
    unused = [c for c in spec.label_columns if c not in used_columns]
    if unused:
        raise NoisyProbeError(
            f"noise.label_columns: no FeatureSet of the grid has a label column {unused[0]!r}"
        )
    return runs
