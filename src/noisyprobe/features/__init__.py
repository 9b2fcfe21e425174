"""Feature extraction and the on-disk FeatureSet store."""

from noisyprobe.features.store import MISSING_LABEL, FeatureSet

__all__ = ["FeatureSet", "MISSING_LABEL"]
