"""A lean inference-only BERT encoder built from a Hugging Face ``BertModel``'s weights.

Why: on CPU, most of a small BERT's time goes to its linear layers, and PyTorch's default
fp32 GEMM (MKL) is 25-40% slower there than oneDNN with weights packed once ahead of time.
This module re-runs the exact BERT forward (post-LayerNorm, erf GELU, absolute positions)
with fused QKV projections, SDPA attention and prepacked oneDNN linears, in fp32, so the
hidden states equal the ``transformers`` forward to float rounding. Where oneDNN packing is
unavailable (other devices, builds without mkldnn) the same math runs on ``F.linear``.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F


def supports(config: Any) -> bool:
    """Whether :class:`FastBert` reproduces the model described by ``config`` exactly."""
    return (
        getattr(config, "model_type", None) == "bert"
        and getattr(config, "position_embedding_type", "absolute") == "absolute"
        and getattr(config, "hidden_act", None) == "gelu"
        and not getattr(config, "is_decoder", False)
        and not getattr(config, "add_cross_attention", False)
    )


def _onednn_available() -> bool:
    try:
        return bool(torch.backends.mkldnn.is_available()) and hasattr(
            torch.ops.mkldnn, "_linear_pointwise"
        )
    except (AttributeError, RuntimeError):  # pragma: no cover - exotic builds
        return False


class _Linear:
    """y = x W^T + b, optionally with GELU fused, on prepacked oneDNN weights when possible."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor, *, gelu: bool = False) -> None:
        self.weight = weight.detach().contiguous()
        self.bias = bias.detach().contiguous()
        self.gelu = gelu
        self.packed: torch.Tensor | None = None
        on_cpu = self.weight.device.type == "cpu" and self.weight.dtype == torch.float32
        if on_cpu and _onednn_available():
            try:
                self.packed = torch.ops.mkldnn._reorder_linear_weight(self.weight, None)
                self._packed_call(torch.zeros(2, self.weight.shape[1]))
            except RuntimeError:  # pragma: no cover - a build without the packed kernels
                self.packed = None
        if self.packed is not None:
            self.weight = self.weight[:0]  # the packed copy replaces it; keep memory flat

    def _packed_call(self, x: torch.Tensor) -> torch.Tensor:
        attr = "gelu" if self.gelu else "none"
        algorithm = "none" if self.gelu else ""  # "none" selects the exact (erf) GELU
        return torch.ops.mkldnn._linear_pointwise(x, self.packed, self.bias, attr, [], algorithm)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.packed is not None and x.device.type == "cpu":
            shape = x.shape
            y = self._packed_call(x.reshape(-1, shape[-1]))
            return y.reshape(*shape[:-1], y.shape[-1])
        y = F.linear(x, self.weight, self.bias)
        return F.gelu(y) if self.gelu else y


class _Layer:
    def __init__(self, sd: dict[str, torch.Tensor], prefix: str) -> None:
        att = prefix + "attention."
        qkv_w = torch.cat([sd[f"{att}self.{n}.weight"] for n in ("query", "key", "value")])
        qkv_b = torch.cat([sd[f"{att}self.{n}.bias"] for n in ("query", "key", "value")])
        self.qkv = _Linear(qkv_w, qkv_b)
        self.out = _Linear(sd[att + "output.dense.weight"], sd[att + "output.dense.bias"])
        self.ln1 = (sd[att + "output.LayerNorm.weight"], sd[att + "output.LayerNorm.bias"])
        self.up = _Linear(
            sd[prefix + "intermediate.dense.weight"],
            sd[prefix + "intermediate.dense.bias"],
            gelu=True,
        )
        self.down = _Linear(sd[prefix + "output.dense.weight"], sd[prefix + "output.dense.bias"])
        self.ln2 = (sd[prefix + "output.LayerNorm.weight"], sd[prefix + "output.LayerNorm.bias"])


class FastBert:
    """Inference-only BERT forward: token ids and mask in, last hidden states out.

    Example:
        >>> from transformers import BertConfig, BertModel
        >>> cfg = BertConfig(vocab_size=50, hidden_size=8, num_hidden_layers=1,
        ...                  num_attention_heads=2, intermediate_size=16)
        >>> hf = BertModel(cfg).eval()
        >>> ids = torch.tensor([[2, 5, 7, 3]]); mask = torch.ones_like(ids)
        >>> ref = hf(input_ids=ids, attention_mask=mask).last_hidden_state
        >>> bool(torch.allclose(FastBert(hf)(ids, mask), ref, atol=1e-5))
        True
    """

    def __init__(self, model: Any) -> None:
        config = model.config
        if not supports(config):
            raise ValueError("FastBert supports plain BERT encoders only")
        prefix = "bert." if any(k.startswith("bert.") for k in model.state_dict()) else ""
        sd = {k[len(prefix) :]: v.detach() for k, v in model.state_dict().items()}
        self.heads = int(config.num_attention_heads)
        self.hidden = int(config.hidden_size)
        self.eps = float(config.layer_norm_eps)
        self.word = sd["embeddings.word_embeddings.weight"]
        self.position = sd["embeddings.position_embeddings.weight"]
        self.token_type0 = sd["embeddings.token_type_embeddings.weight"][0]
        self.ln_emb = (sd["embeddings.LayerNorm.weight"], sd["embeddings.LayerNorm.bias"])
        n_layers = int(config.num_hidden_layers)
        self.layers = [_Layer(sd, f"encoder.layer.{i}.") for i in range(n_layers)]

    def _ln(self, x: torch.Tensor, params: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        return F.layer_norm(x, (self.hidden,), params[0], params[1], self.eps)

    def __call__(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Last hidden states [B, L, H] for ``input_ids`` [B, L] (token type 0 everywhere)."""
        batch, length = input_ids.shape
        x = self.word[input_ids] + (self.position[:length] + self.token_type0)
        x = self._ln(x, self.ln_emb)
        # Padded keys are masked out; with no padding the unmasked kernel is used.
        mask = None
        if not bool(attention_mask.all()):
            mask = attention_mask.bool()[:, None, None, :]
        head_dim = self.hidden // self.heads
        for layer in self.layers:
            qkv = layer.qkv(x).view(batch, length, 3, self.heads, head_dim)
            q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
            att = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
            att = att.transpose(1, 2).reshape(batch, length, self.hidden)
            x = self._ln(layer.out(att) + x, layer.ln1)
            x = self._ln(layer.down(layer.up(x)) + x, layer.ln2)
        return x
