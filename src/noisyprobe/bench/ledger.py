"""The run ledger: one SQLite row per run, keyed by the sha256 of the run's spec.

Crash safety comes from three rules. (1) Every write is one SQLite transaction in WAL mode with
``synchronous=FULL``: a process killed at any instant (even ``kill -9``) leaves either the
whole transaction or none of it. (2) A run's row is created once (``INSERT OR IGNORE`` on its
key) and moves to ``done`` only by an update that skips rows already done: no run is ever
duplicated or overwritten. (3) A run is redone unless it is ``done``; rows left ``running`` by a
dead process are simply pending again. Because every run is deterministic in its spec, a
killed and restarted grid ends with the same results as one that ran straight through.

One writer at a time holds an advisory lock on ``<ledger>.lock`` (released by the kernel when
the process dies); readers (summary, export, selector) need no lock.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from noisyprobe.bench.spec import GridRun
from noisyprobe.errors import NoisyProbeError

SCHEMA_VERSION = 1
APPLICATION_ID = 0x4E50424C  # "NPBL": SQLite's header field naming the file's program
STATUSES = ("pending", "running", "done", "failed")
METRIC_COLUMNS = ("balanced_accuracy", "accuracy", "macro_f1", "ece", "auroc")

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    key TEXT PRIMARY KEY,
    spec TEXT NOT NULL,
    condition_key TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
    featureset TEXT NOT NULL,
    dataset TEXT NOT NULL,
    backbone TEXT NOT NULL,
    label_column TEXT,
    noise TEXT NOT NULL,
    noise_kind TEXT,
    rate REAL NOT NULL,
    counting TEXT,
    method TEXT NOT NULL,
    params TEXT NOT NULL,
    seed INTEGER NOT NULL,
    {", ".join(f"{m} REAL" for m in METRIC_COLUMNS)},
    per_class_recall TEXT,
    zero_recall_classes TEXT,
    metrics TEXT,
    realized_noise_rate REAL,
    train_size INTEGER,
    eval_size INTEGER,
    stack_size INTEGER,
    train_seconds REAL,
    eval_seconds REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    worker TEXT,
    versions TEXT,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL
);
CREATE INDEX IF NOT EXISTS runs_status ON runs (status);
CREATE INDEX IF NOT EXISTS runs_condition ON runs (condition_key);
CREATE TABLE IF NOT EXISTS conditions (
    key TEXT PRIMARY KEY,
    spec TEXT NOT NULL,
    featureset TEXT NOT NULL,
    dataset TEXT NOT NULL,
    backbone TEXT NOT NULL,
    label_column TEXT,
    noise TEXT NOT NULL,
    noise_kind TEXT,
    rate REAL NOT NULL,
    counting TEXT,
    regime TEXT,
    regime_seed INTEGER,
    regime_seconds REAL,
    computed_at REAL
);
"""


@dataclass(frozen=True)
class RunResult:
    """What a finished run reports back to the ledger.

    Attributes:
        key: the run's key.
        metrics: the dict of :func:`noisyprobe.metrics.evaluate` (plus any extra metrics).
        realized_noise_rate: share of training labels changed by the injected noise.
        train_size: training samples.
        eval_size: evaluation samples.
        stack_size: runs trained together in its vectorised stack.
        train_seconds: the stack's training time divided by its runs.
        eval_seconds: the run's evaluation time.
        worker: ``host:pid`` of the process that trained it.
    """

    key: str
    metrics: Mapping[str, Any]
    realized_noise_rate: float | None = None
    train_size: int | None = None
    eval_size: int | None = None
    stack_size: int | None = None
    train_seconds: float | None = None
    eval_seconds: float | None = None
    worker: str | None = None
    versions: Mapping[str, str] = field(default_factory=dict)


def _newer(found: object) -> bool:
    try:
        return int(str(found)) > SCHEMA_VERSION
    except ValueError:
        return False


def worker_id() -> str:
    """``host:pid`` of the current process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def package_versions() -> dict[str, str]:
    """Versions that can change results: python, noisyprobe, numpy, scipy, torch."""
    import platform
    from importlib import metadata

    out = {"python": platform.python_version()}
    for name in ("noisyprobe", "numpy", "scipy", "torch"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    if "noisyprobe" not in out:
        from noisyprobe import __version__

        out["noisyprobe"] = __version__
    return out


class Ledger:
    """A SQLite run ledger (see the module docstring for its guarantees).

    Args:
        path: the ``.sqlite`` file (created with its schema if missing, unless ``readonly``).
        readonly: open an existing ledger for reading only.

    Example:
        >>> import tempfile, pathlib
        >>> with Ledger(pathlib.Path(tempfile.mkdtemp()) / "l.sqlite") as ledger:
        ...     ledger.counts()
        {'pending': 0, 'running': 0, 'done': 0, 'failed': 0}
    """

    def __init__(self, path: str | os.PathLike[str], *, readonly: bool = False) -> None:
        self.path = Path(path)
        if readonly and not self.path.is_file():
            raise NoisyProbeError(f"no ledger at {self.path}")
        if not readonly:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            if readonly:
                uri = f"file:{self.path.resolve()}?mode=ro"
                self._db = sqlite3.connect(uri, uri=True, timeout=60, isolation_level=None)
            else:
                self._db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            fresh = self._check_identity()  # before anything is written
            if readonly and fresh:
                raise NoisyProbeError(f"{self.path} is an empty database, not a ledger")
            if not readonly:
                self._db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=FULL")
                with self.transaction():
                    for statement in _SCHEMA.strip().split(";"):
                        if statement.strip():
                            self._db.execute(statement)
                    self._db.execute(
                        "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
                        (str(SCHEMA_VERSION),),
                    )
            version = self._db.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).fetchone()
        except sqlite3.DatabaseError as exc:
            self._close_quietly()
            raise NoisyProbeError(f"{self.path} is not a usable ledger: {exc}") from None
        except BaseException:
            self._close_quietly()
            raise
        if version is None or int(version[0]) != SCHEMA_VERSION:
            found = None if version is None else version[0]
            raise NoisyProbeError(
                f"{self.path}: ledger schema version {found}, expected {SCHEMA_VERSION}"
            )

    def _check_identity(self) -> bool:
        """Refuse a database of another program or of another schema version; True if empty.

        Reads only: a foreign SQLite file is left exactly as it was.
        """
        app_id = int(self._db.execute("PRAGMA application_id").fetchone()[0])
        tables = {
            row[0]
            for row in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if app_id not in (0, APPLICATION_ID):
            raise NoisyProbeError(
                f"{self.path} is not a noisyprobe ledger (SQLite application_id {app_id:#x}); "
                "choose another --ledger"
            )
        if not tables:
            return app_id == 0
        if not {"meta", "runs"} <= tables:
            others = ", ".join(sorted(tables)[:3])
            raise NoisyProbeError(
                f"{self.path} is not a noisyprobe ledger (it holds tables {others}); "
                "choose another --ledger"
            )
        try:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except sqlite3.DatabaseError:
            row = None
        if row is None or str(row[0]) != str(SCHEMA_VERSION):
            found = None if row is None else row[0]
            raise NoisyProbeError(
                f"{self.path}: ledger schema version {found}, expected {SCHEMA_VERSION}"
                + (" (written by a newer noisyprobe)" if _newer(found) else "")
            )
        return False

    def _close_quietly(self) -> None:
        db = getattr(self, "_db", None)
        if db is not None:
            db.close()

    # --------------------------------------------------------------- basics
    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: ``BEGIN IMMEDIATE`` ... ``COMMIT`` (rolled back on error)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @contextmanager
    def writer_lock(self) -> Iterator[None]:
        """Hold the single-writer lock; a second ``noisyprobe bench`` on this ledger fails fast."""
        import fcntl

        real = self.path.resolve()  # a symlinked path must meet the same lock
        lock_path = real.with_name(real.name + ".lock")
        with open(lock_path, "a+") as fh:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise NoisyProbeError(
                    f"{self.path} is being written by another noisyprobe bench process"
                ) from None
            yield  # closing the file (or the process dying) releases the lock

    def set_meta(self, key: str, value: str) -> None:
        """Store a ledger-level setting (e.g. the grid's metric)."""
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None else row[0]

    # --------------------------------------------------------------- runs
    def add_runs(self, runs: Sequence[GridRun]) -> int:
        """Register runs as pending (existing keys are left untouched); returns how many are new."""
        now = time.time()
        rows = [
            (
                r.key,
                r.spec_json,
                r.condition_key,
                "pending",
                r.featureset,
                r.dataset,
                r.backbone,
                r.label_column,
                r.noise_label,
                r.noise_kind,
                r.rate,
                r.counting if r.noise_kind else None,
                r.method,
                r.params_json,
                r.seed,
                now,
            )
            for r in runs
        ]
        with self.transaction() as db:
            before = db.total_changes
            db.executemany(
                "INSERT OR IGNORE INTO runs (key, spec, condition_key, status, featureset, "
                "dataset, backbone, label_column, noise, noise_kind, rate, counting, method, "
                "params, seed, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                rows,
            )
            return db.total_changes - before

    def statuses(self, keys: Iterable[str] | None = None) -> dict[str, str]:
        """Key -> status, for ``keys`` (those absent from the ledger are left out) or all runs."""
        if keys is None:
            return {k: s for k, s in self._db.execute("SELECT key, status FROM runs")}
        out: dict[str, str] = {}
        keys = list(keys)
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            out.update(
                self._db.execute(f"SELECT key, status FROM runs WHERE key IN ({marks})", chunk)
            )
        return out

    def unfinished(self, keys: Iterable[str]) -> list[str]:
        """The keys among ``keys`` that are not ``done`` (missing keys included), in order."""
        keys = list(keys)
        status = self.statuses(keys)
        return [k for k in keys if status.get(k) != "done"]

    def counts(self) -> dict[str, int]:
        """Number of runs per status."""
        out = dict.fromkeys(STATUSES, 0)
        for status, n in self._db.execute("SELECT status, COUNT(*) FROM runs GROUP BY status"):
            out[status] = n
        return out

    def mark_running(self, keys: Sequence[str], *, worker: str | None = None) -> None:
        """Mark a stack's runs as started (they stay redoable until recorded as done)."""
        now = time.time()
        with self.transaction() as db:
            db.executemany(
                "UPDATE runs SET status = 'running', started_at = ?, worker = ?, "
                "attempts = attempts + 1 WHERE key = ? AND status != 'done'",
                [(now, worker or worker_id(), k) for k in keys],
            )

    def record(self, results: Sequence[RunResult]) -> int:
        """Store a stack's finished runs in one transaction; returns how many rows changed.

        Runs already ``done`` are not touched, so recording twice never duplicates or alters
        a result.
        """
        now = time.time()
        rows = []
        for r in results:
            m = dict(r.metrics)
            rows.append(
                (
                    *(_num(m.get(name)) for name in METRIC_COLUMNS),
                    json.dumps(m.get("per_class_recall")),
                    json.dumps(m.get("zero_recall_classes")),
                    json.dumps(m, sort_keys=True),
                    _num(r.realized_noise_rate),
                    r.train_size,
                    r.eval_size,
                    r.stack_size,
                    _num(r.train_seconds),
                    _num(r.eval_seconds),
                    r.worker or worker_id(),
                    json.dumps(dict(r.versions) or package_versions(), sort_keys=True),
                    now,
                    r.key,
                )
            )
        sets = ", ".join(f"{m} = ?" for m in METRIC_COLUMNS)
        with self.transaction() as db:
            before = db.total_changes
            db.executemany(
                f"UPDATE runs SET status = 'done', error = NULL, {sets}, per_class_recall = ?, "
                "zero_recall_classes = ?, metrics = ?, realized_noise_rate = ?, train_size = ?, "
                "eval_size = ?, stack_size = ?, train_seconds = ?, eval_seconds = ?, worker = ?, "
                "versions = ?, finished_at = ? WHERE key = ? AND status != 'done'",
                rows,
            )
            return db.total_changes - before

    def record_failure(self, keys: Sequence[str], error: str) -> None:
        """Mark runs as failed with a one-line reason (they are retried by the next bench)."""
        with self.transaction() as db:
            db.executemany(
                "UPDATE runs SET status = 'failed', error = ?, finished_at = ? "
                "WHERE key = ? AND status != 'done'",
                [(error[:2000], time.time(), k) for k in keys],
            )

    def runs(self, *, status: str | None = "done"):
        """The runs as a pandas DataFrame (``status=None``: every run), JSON columns decoded."""
        import pandas as pd

        query = "SELECT * FROM runs"
        args: tuple[Any, ...] = ()
        if status is not None:
            if status not in STATUSES:
                raise NoisyProbeError(f"status: expected one of {', '.join(STATUSES)}")
            query += " WHERE status = ?"
            args = (status,)
        df = pd.read_sql_query(query + " ORDER BY key", self._db, params=args)
        for col in ("per_class_recall", "zero_recall_classes"):
            df[col] = [_decode(v) for v in df[col]]
        return df

    # --------------------------------------------------------------- conditions
    def add_condition(self, run: GridRun, condition_spec: str) -> None:
        """Register a condition (no regime yet); an existing one is left as it is."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO conditions (key, spec, featureset, dataset, backbone, "
                "label_column, noise, noise_kind, rate, counting) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    run.condition_key,
                    condition_spec,
                    run.featureset,
                    run.dataset,
                    run.backbone,
                    run.label_column,
                    run.noise_label,
                    run.noise_kind,
                    run.rate,
                    run.counting if run.noise_kind else None,
                ),
            )

    def conditions_without_regime(self, keys: Iterable[str]) -> list[str]:
        keys = list(keys)
        have = {
            k
            for (k,) in self._db.execute(
                "SELECT key FROM conditions WHERE regime IS NOT NULL"
            ).fetchall()
        }
        return [k for k in dict.fromkeys(keys) if k not in have]

    def set_regime(
        self,
        key: str,
        regime: Mapping[str, float],
        *,
        seed: int,
        seconds: float,
        transition: Sequence[Sequence[float]] | None = None,
    ) -> None:
        """Store the regime features of a condition (computed on one seed's training labels).

        ``transition``, the estimated noise transition T[true, given], is kept in the same
        JSON object under the key ``"transition"``.
        """
        stored: dict[str, Any] = {k: _num(v) for k, v in regime.items()}
        if transition is not None:
            stored["transition"] = [[float(v) for v in row] for row in transition]
        with self.transaction() as db:
            db.execute(
                "UPDATE conditions SET regime = ?, regime_seed = ?, regime_seconds = ?, "
                "computed_at = ? WHERE key = ?",
                (
                    json.dumps(stored, sort_keys=True),
                    seed,
                    seconds,
                    time.time(),
                    key,
                ),
            )

    def conditions(self):
        """The conditions table as a DataFrame with ``regime`` decoded to dicts."""
        import pandas as pd

        df = pd.read_sql_query("SELECT * FROM conditions ORDER BY key", self._db)
        df["regime"] = [_decode(v) for v in df["regime"]]
        return df


def _decode(value: Any) -> Any:
    """JSON text to Python; SQL NULL (which pandas may hand over as NaN) to ``None``."""
    return json.loads(value) if isinstance(value, (str, bytes)) else None


def _num(value: Any) -> float | None:
    """A finite float, or ``None`` (SQLite/JSON have no NaN)."""
    if value is None:
        return None
    value = float(value)
    return value if value == value and abs(value) != float("inf") else None
