"""``noisyprobe study similarity``: representation-similarity degradation during fine-tuning.

Fine-tune EfficientNet-Lite0 (ImageNet weights) on a downstream task (Fashion-MNIST, grey
images resized and repeated to RGB) in three modes (full, last blocks, low-rank adapter) over
several seeds; after every epoch record test accuracy, ECE, k-NN accuracy of the head features
on a held-out domain (MNIST-5k; a proxy for the pretraining domain, whose images are not
available offline: its drop measures forgetting) and the layer-wise linear CKA to the
pretrained weights' features on the same probe images. The outputs are the similarity space
(CKA vs accuracy over runs) and the CKA-ECE linear correlation on interval averages.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from noisyprobe._io import write_json
from noisyprobe.errors import NoisyProbeError
from noisyprobe.studies.finetune import MODES, build_model, layer_features, to_input


@dataclass(frozen=True)
class SimilarityConfig:
    """Sizes and schedule of the similarity study.

    Attributes:
        modes: fine-tuning modes (``full``, ``last``, ``lora``).
        seeds: one run per (mode, seed); the seed sets the classifier init and batch order.
        lr: AdamW learning rate per mode, ``{"full": 1e-3, ...}`` order of ``modes``.
        epochs: fine-tuning epochs.
        image_size: input resolution.
        train_size, test_size: downstream (Fashion-MNIST) images.
        knn_size: held-out-domain (MNIST-5k) images for the k-NN forgetting probe.
        intervals: number of CKA intervals for the CKA-ECE correlation.
        batch_size: mini-batch size.

    Example:
        >>> len(SimilarityConfig().modes) * len(SimilarityConfig().seeds)
        12
    """

    modes: tuple[str, ...] = MODES
    seeds: tuple[int, ...] = (0, 1, 2, 3)
    lr: tuple[float, ...] = (3e-4, 1e-3, 3e-3)
    epochs: int = 5
    image_size: int = 64
    train_size: int = 300
    test_size: int = 200
    knn_size: int = 300
    intervals: int = 6
    batch_size: int = 32

    def __post_init__(self) -> None:
        if not self.modes or set(self.modes) - set(MODES):
            raise NoisyProbeError(f"modes must be some of {MODES}, got {self.modes!r}")
        if len(self.lr) != len(self.modes):
            raise NoisyProbeError("lr needs one learning rate per mode")
        for name in ("epochs", "image_size", "train_size", "test_size", "knn_size", "intervals"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise NoisyProbeError(f"{name} must be a positive integer, got {v!r}")
        if self.image_size < 32:
            raise NoisyProbeError(f"image_size must be >= 32, got {self.image_size}")

    @classmethod
    def quick(cls) -> SimilarityConfig:
        """A seconds-long configuration for tests."""
        return cls(
            modes=("last", "lora"),
            seeds=(0,),
            lr=(1e-3, 3e-3),
            epochs=1,
            image_size=32,
            train_size=32,
            test_size=24,
            knn_size=40,
            intervals=2,
            batch_size=16,
        )


def load_data(config: SimilarityConfig) -> dict[str, np.ndarray]:
    """Downstream train/test and held-out-domain images (uint8 [N, 28, 28]) and labels.

    Example:
        >>> # load_data(SimilarityConfig.quick())["train_x"].shape -> (32, 28, 28)
    """
    from noisyprobe.data import fashion_mnist, mnist_5k

    fm, mn = fashion_mnist.load(), mnist_5k.load()
    rng = np.random.default_rng(4242)
    tr = rng.permutation(np.flatnonzero(fm.splits == "train"))[: config.train_size]
    te = rng.permutation(np.flatnonzero(fm.splits == "test"))[: config.test_size]
    kn = rng.permutation(len(mn.labels))[: config.knn_size]
    return {
        "train_x": fm.items[tr],
        "train_y": fm.labels[tr],
        "test_x": fm.items[te],
        "test_y": fm.labels[te],
        "knn_x": mn.items[kn],
        "knn_y": mn.labels[kn],
    }


def run_one(
    data: dict[str, np.ndarray],
    *,
    mode: str,
    seed: int,
    lr: float,
    config: SimilarityConfig,
    device: str = "cpu",
) -> dict[str, Any]:
    """Fine-tune one run; per epoch (0 = pretrained) accuracy, ECE, k-NN and CKA per layer.

    Example:
        >>> # run_one(load_data(cfg), mode="lora", seed=0, lr=3e-3, config=cfg)["epochs"][0]
    """
    import torch

    from noisyprobe.diagnostics import knn_accuracy, linear_cka
    from noisyprobe.metrics import ece

    torch.manual_seed(int(seed))
    model = build_model(image_size=config.image_size, num_classes=10, mode=mode).to(device)
    x_train = to_input(data["train_x"], config.image_size)
    y_train = torch.as_tensor(data["train_y"], dtype=torch.long)
    x_test = to_input(data["test_x"], config.image_size)
    x_knn = to_input(data["knn_x"], config.image_size)
    half = len(x_knn) // 2
    reference = layer_features(model, x_test)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=float(lr), weight_decay=1e-4)
    loss_fn = torch.nn.CrossEntropyLoss()
    epochs = []
    for epoch in range(config.epochs + 1):
        if epoch > 0:
            model.train(mode != "lora")  # a frozen backbone keeps its BatchNorm statistics
            order = np.random.default_rng([int(seed), epoch]).permutation(len(y_train))
            for s in range(0, len(order), config.batch_size):
                idx = torch.as_tensor(order[s : s + config.batch_size])
                opt.zero_grad()
                loss_fn(model(x_train[idx].to(device)), y_train[idx].to(device)).backward()
                opt.step()
        model.eval()
        feats = layer_features(model, x_test)
        with torch.no_grad():
            head = torch.as_tensor(feats["head"]).to(device)
            probs = torch.softmax(model._fc(head), dim=1).cpu().numpy()
        knn_feats = layer_features(model, x_knn)["head"]
        cka = {k: float(linear_cka(reference[k], v)) for k, v in feats.items()}
        epochs.append(
            {
                "epoch": epoch,
                "accuracy": float((probs.argmax(1) == data["test_y"]).mean()),
                "ece": float(ece(probs.astype(np.float64), data["test_y"])),
                "knn_accuracy": knn_accuracy(
                    knn_feats[:half],
                    data["knn_y"][:half],
                    knn_feats[half:],
                    data["knn_y"][half:],
                    k=min(10, half),
                ),
                "cka": cka,
                "cka_mean": float(np.mean(list(cka.values()))),
            }
        )
    return {"mode": mode, "seed": int(seed), "lr": float(lr), "epochs": epochs}


def interval_correlation(
    cka: np.ndarray, ece_values: np.ndarray, *, intervals: int
) -> dict[str, Any]:
    """Linear correlation of ECE on CKA computed on interval averages (paper fig. 5).

    CKA values are discretised into ``intervals`` equal-width intervals (each value goes to
    the nearest interval centre); ECE is averaged per interval and a line is fitted to the
    (centre, mean ECE) points of non-empty intervals.

    Example:
        >>> c = np.array([0.0, 0.1, 0.5, 0.5, 0.9, 1.0])
        >>> r = interval_correlation(c, 1 - c, intervals=3)
        >>> round(r["pearson_r"], 6), round(r["slope"], 6)
        (-1.0, -0.9)
    """
    from scipy.stats import linregress

    cka = np.asarray(cka, dtype=np.float64)
    ece_values = np.asarray(ece_values, dtype=np.float64)
    lo, hi = float(cka.min()), float(cka.max())
    centres = np.linspace(lo, hi, intervals) if hi > lo else np.array([lo])
    nearest = np.abs(cka[:, None] - centres[None, :]).argmin(axis=1)
    points = [
        {
            "cka": float(c),
            "ece": float(ece_values[nearest == i].mean()),
            "n": int((nearest == i).sum()),
        }
        for i, c in enumerate(centres)
        if (nearest == i).any()
    ]
    out: dict[str, Any] = {"intervals": points, "pearson_r": None, "slope": None, "intercept": None}
    if len(points) >= 2:
        fit = linregress([p["cka"] for p in points], [p["ece"] for p in points])
        out.update(
            pearson_r=float(fit.rvalue), slope=float(fit.slope), intercept=float(fit.intercept)
        )
    return out


def run_study(
    out: str | os.PathLike[str],
    config: SimilarityConfig,
    *,
    device: str = "cpu",
    data: dict[str, np.ndarray] | None = None,
) -> dict[str, Any]:
    """Run (or resume: one JSON per run) every (mode, seed); write results.json and figures.

    Example:
        >>> # run_study("runs/similarity", SimilarityConfig.quick())["correlation"]["pearson_r"]
    """
    out = Path(out)
    data = load_data(config) if data is None else data
    runs = []
    for mode, lr in zip(config.modes, config.lr):
        for seed in config.seeds:
            path = out / "runs" / f"{mode}_seed{int(seed)}.json"
            if path.is_file():
                runs.append(json.loads(path.read_text()))
                continue
            run = run_one(data, mode=mode, seed=int(seed), lr=lr, config=config, device=device)
            write_json(path, run)
            runs.append(run)
    points = [e for r in runs for e in r["epochs"] if e["epoch"] > 0]
    corr = interval_correlation(
        np.array([e["cka_mean"] for e in points]),
        np.array([e["ece"] for e in points]),
        intervals=config.intervals,
    )
    final = {
        mode: {
            k: float(np.mean([r["epochs"][-1][k] for r in runs if r["mode"] == mode]))
            for k in ("accuracy", "ece", "knn_accuracy", "cka_mean")
        }
        for mode in config.modes
    }
    results = {
        "study": "similarity",
        "config": asdict(config),
        "device": device,
        "runs": runs,
        "final_by_mode": final,
        "pretrained_knn_accuracy": runs[0]["epochs"][0]["knn_accuracy"],
        "correlation": corr,
    }
    write_json(out / "results.json", results)
    results["figures"] = write_figures(runs, corr, out)
    return results


def write_figures(runs: list[dict[str, Any]], corr: dict[str, Any], out: str | Path) -> list[str]:
    """``similarity_space.png`` (CKA vs accuracy per run) and ``cka_ece.png``.

    Example:
        >>> write_figures([], {}, "/tmp")
        []
    """
    if not runs:
        return []
    from noisyprobe._figures import pyplot, save_png

    plt = pyplot()

    colours = {"full": "tab:red", "last": "tab:blue", "lora": "tab:green"}
    fig, ax = plt.subplots(figsize=(5, 4))
    for r in runs:
        e = r["epochs"]
        ax.plot(
            [p["cka_mean"] for p in e],
            [p["accuracy"] for p in e],
            "-",
            alpha=0.4,
            color=colours[r["mode"]],
        )
        ax.scatter(
            [e[-1]["cka_mean"]], [e[-1]["accuracy"]], color=colours[r["mode"]], label=r["mode"]
        )
    handles, labels = ax.get_legend_handles_labels()
    uniq = dict(zip(labels, handles))
    ax.legend(uniq.values(), uniq.keys())
    ax.set_xlabel("mean layer-wise linear CKA to pretrained")
    ax.set_ylabel("test accuracy")
    ax.set_title("similarity space (lines: epochs; dots: final)")
    paths = [str(save_png(fig, plt, Path(out) / "similarity_space.png", dpi=110))]
    fig, ax = plt.subplots(figsize=(5, 4))
    pts = [p for r in runs for p in r["epochs"] if p["epoch"] > 0]
    ax.scatter([p["cka_mean"] for p in pts], [p["ece"] for p in pts], color="black", s=10)
    iv = corr.get("intervals", [])
    ax.scatter([p["cka"] for p in iv], [p["ece"] for p in iv], color="red", s=40)
    if corr.get("slope") is not None:
        xs = np.array([iv[0]["cka"], iv[-1]["cka"]])
        ax.plot(
            xs, corr["intercept"] + corr["slope"] * xs, "r-", label=f"r = {corr['pearson_r']:+.2f}"
        )
        ax.legend()
    ax.set_xlabel("mean layer-wise linear CKA")
    ax.set_ylabel("ECE")
    paths.append(str(save_png(fig, plt, Path(out) / "cka_ece.png", dpi=110)))
    return paths
