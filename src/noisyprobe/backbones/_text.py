"""Shared text encoding: tokenize once, length-sorted batches, dynamic padding, pooling.

Sorting by token count within a call puts texts of similar length together, so each batch
pads only to its own longest text (about 3% padding on radiology reports against ~14% when
sorting by characters); the original order is restored at the end. Every text's features
depend only on that text: padded positions are masked in attention and pooling.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from noisyprobe.errors import NoisyProbeError

POOLINGS = ("mean", "cls", "max")


def as_texts(batch: Sequence[Any], backbone: str) -> list[str]:
    """The batch as a list of ``str``, or a NoisyProbeError naming the first bad item.

    Example:
        >>> as_texts(("a", "b"), "minilm")
        ['a', 'b']
    """
    if isinstance(batch, str):
        raise NoisyProbeError(f"backbone {backbone!r}: expected a list of texts, got one str")
    texts = list(batch)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise NoisyProbeError(
                f"backbone {backbone!r} encodes text: item {i} is {type(text).__name__}, "
                "expected str"
            )
    return texts


def pool(hidden: Any, mask: Any, mode: str) -> Any:
    """Pool token states [B, L, H] into [B, H] over the real tokens of ``mask`` [B, L].

    ``mean`` averages real tokens (the sentence-transformers formula), ``cls`` takes the
    first token, ``max`` the per-dimension maximum over real tokens.

    Example:
        >>> import torch
        >>> h = torch.tensor([[[1.0], [3.0], [100.0]]]); m = torch.tensor([[1, 1, 0]])
        >>> pool(h, m, "mean").tolist(), pool(h, m, "max").tolist()
        ([[2.0]], [[3.0]])
    """
    if mode == "cls":
        return hidden[:, 0]
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    if mode == "mean":
        return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
    if mode == "max":
        return hidden.masked_fill(weights == 0, -1e9).max(dim=1).values
    raise NoisyProbeError(f"pooling: expected one of {', '.join(POOLINGS)}, got {mode!r}")


def encode_texts(
    texts: list[str],
    *,
    tokenizer: Any,
    forward: Callable[[Any, Any], Any],
    max_length: int,
    pooling: str,
    normalize: bool,
    batch_size: int,
    dim: int,
    device: str = "cpu",
) -> np.ndarray:
    """Encode ``texts`` to float32 [N, dim] with token-length-sorted, dynamically padded batches.

    ``forward(input_ids, attention_mask)`` returns the last hidden states [B, L, H].

    Example:
        >>> import torch
        >>> class Tok:
        ...     pad_token_id = 0
        ...     def __call__(self, texts, truncation, max_length):
        ...         return {"input_ids": [[1] + [2] * len(t) for t in texts]}
        >>> fwd = lambda ids, mask: ids.unsqueeze(-1).float()
        >>> out = encode_texts(["ab", "a"], tokenizer=Tok(), forward=fwd, max_length=8,
        ...                    pooling="mean", normalize=False, batch_size=2, dim=1)
        >>> [round(float(v), 4) for v in out.ravel()]  # mean id of [1, 2, 2] and [1, 2]
        [1.6667, 1.5]
    """
    import torch
    import torch.nn.functional as F

    if not texts:
        return np.zeros((0, dim), dtype=np.float32)
    ids = tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]
    lengths = np.fromiter((len(row) for row in ids), dtype=np.int64, count=len(ids))
    order = np.argsort(-lengths, kind="stable")
    pad_id = getattr(tokenizer, "pad_token_id", None) or 0
    out = np.empty((len(texts), dim), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            idx = order[start : start + batch_size]
            width = int(lengths[idx].max())
            padded = np.full((len(idx), width), pad_id, dtype=np.int64)
            for row, i in enumerate(idx):
                padded[row, : lengths[i]] = ids[i]
            input_ids = torch.from_numpy(padded)
            mask = torch.arange(width)[None, :] < torch.from_numpy(lengths[idx])[:, None]
            hidden = forward(input_ids.to(device), mask.to(device))
            emb = pool(hidden, mask.to(hidden.device), pooling)
            if normalize:
                emb = F.normalize(emb, p=2, dim=1)
            out[idx] = emb.float().cpu().numpy()
    return out
