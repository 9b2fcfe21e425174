"""Label-issue finder: rank likely-mislabelled samples, estimate the noise rate and transition.

- :func:`audit` (``labels.finder``): ensemble of cross-validated heads, confident-learning
  counts, prediction-agreement ranking; :func:`audit_featureset` for a FeatureSet folder;
- :func:`ensemble_probs` (``labels.ensemble``): the out-of-sample probabilities;
- :func:`estimate_joint`, :func:`transition_from_joint` (``labels.estimate``);
- :func:`disagreement`, :func:`issue_score` (``labels.agreement``);
- :func:`pair_counts`, :func:`prune_by_noise_rate` (``labels.prune``).

Example:
    >>> from noisyprobe import labels
    >>> callable(labels.audit)
    True
"""

from __future__ import annotations

from noisyprobe._lazy import lazy_exports

_LAZY = {
    "LabelAudit": "finder",
    "audit": "finder",
    "audit_featureset": "finder",
    "EnsembleProbs": "ensemble",
    "ensemble_probs": "ensemble",
    "estimate_joint": "estimate",
    "issue_counts": "estimate",
    "transition_from_joint": "estimate",
    "disagreement": "agreement",
    "issue_score": "agreement",
    "margin": "agreement",
    "pair_counts": "prune",
    "prune_by_noise_rate": "prune",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
