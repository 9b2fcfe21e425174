"""``minilm`` equals sentence-transformers' own encode of all-MiniLM-L6-v2."""

from __future__ import annotations

import numpy as np
import pytest

import noisyprobe.backbones as backbones

LONG_ES = " ".join(
    ["derrame pleural derecho con atelectasia pasiva del lobulo inferior y cardiomegalia"] * 30
)
TEXTS = [
    "sin hallazgos patologicos",
    " sin hallazg patolog edad pacient .",
    "Derrame pleural bilateral, de predominio derecho.",
    "cardiomegalia. signos de insuficiencia cardiaca congestiva",
    "The chest radiograph shows no acute cardiopulmonary process.",
    "Neumonía en el lóbulo inferior izquierdo; se recomienda control en 2 semanas.",
    "",
    "a",
    "?!",
    "12 mm nodulo en LSD, comparar con estudio previo del 04/01/2017",
    "  leading and trailing spaces  ",
    "MAYÚSCULAS Y ACENTOS: ÁRBOL, CAMIÓN, PINGÜINO",
    "emoji 🙂 and symbols © ± µ",
    "tubo endotraqueal, sonda nasogastrica y via central yugular derecha en posicion correcta",
    LONG_ES,  # ~400 word pieces: truncated at max_seq_length (256)
    LONG_ES + " pero con un final distinto que queda fuera de la ventana",
    "x " * 300,
    "fractura costal antigua. escoliosis dorsal. cambios degenerativos",
    "no se observan cambios significativos respecto al estudio previo",
    "hiperinsuflacion pulmonar. aplanamiento diafragmatico. epoc",
]


@pytest.fixture
def minilm(shared_backbone):
    return shared_backbone("minilm")


@pytest.fixture(scope="module")
def reference():
    """sentence-transformers' encode, the ground truth the backbone must reproduce."""
    from sentence_transformers import SentenceTransformer

    from noisyprobe.backbones.minilm import model_dir

    model = SentenceTransformer(str(model_dir()), device="cpu")
    assert model.max_seq_length == 256
    return model.encode(TEXTS, convert_to_numpy=True)


def _cosines(a, b):
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


@pytest.mark.slow  # loading sentence-transformers alone takes seconds
def test_equals_sentence_transformers(minilm, reference):
    feats = minilm.encode(TEXTS)
    assert feats.shape == reference.shape == (len(TEXTS), 384)
    assert _cosines(feats, reference).min() >= 0.9999
    np.testing.assert_allclose(feats, reference, rtol=0, atol=1e-5)


def test_truncation_at_max_seq_length(minilm):
    a, b = minilm.encode(TEXTS[14:16])  # differ only after 256 tokens
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_engines_agree(minilm):
    """The lean forward equals the transformers model's own forward (batched differently)."""
    texts = TEXTS[:12] + TEXTS[14:15]
    slow = backbones.get("minilm", engine="transformers", batch_size=5, num_threads=1)
    np.testing.assert_allclose(minilm.encode(texts), slow.encode(texts), rtol=0, atol=1e-5)


def test_settings_come_from_the_model_config(minilm):
    assert minilm.preprocessing["max_seq_length"] == 256
    assert minilm.preprocessing["pooling"] == "mean"
    assert minilm.preprocessing["normalize"] is True
    np.testing.assert_allclose(np.linalg.norm(minilm.encode(TEXTS[:4]), axis=1), 1.0, rtol=1e-5)
    assert minilm.dim == 384 and minilm.modality == "text"
    assert minilm.sort_key("abc") < minilm.sort_key("abcdef")


def test_fingerprint_is_stable_and_cheap_to_repeat(minilm):
    again = backbones.get("minilm", num_threads=1)
    assert again.id == minilm.id
    assert again._forward is None  # asking for the id did not load the model
