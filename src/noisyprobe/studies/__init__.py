"""Controlled studies: pretraining-noise inheritance and fine-tuning similarity.

``inheritance``: pretrain a small CNN on Fashion-MNIST at several injected label-noise
levels (nested flip sets, same init/order/schedule per level), freeze it, and probe its
features in and out of domain with ``lp``/``mlp``/``nmtune``/``skd`` and the feature
diagnostics (the NMTune ICLR 2024 / SKD NeurIPS 2025 protocol at CPU scale).
"""
