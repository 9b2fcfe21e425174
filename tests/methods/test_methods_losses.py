"""Loss values on tiny hand-computed tensors and limit cases, for every loss-based method."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from noisyprobe.errors import NoisyProbeError
from noisyprobe.methods import get
from noisyprobe.methods.coteaching import coteaching_loss, forget_schedule
from noisyprobe.methods.cufit import cufit_loss
from noisyprobe.methods.elr import elr_loss, elr_update
from noisyprobe.methods.forward import estimate_transition, forward_loss
from noisyprobe.methods.gce import gce_loss
from noisyprobe.methods.label_smoothing import label_smoothing_loss
from noisyprobe.methods.losses import cross_entropy, masked_mean, sharpen, soft_cross_entropy
from noisyprobe.methods.sce import sce_loss

LN3 = math.log(3.0)


@pytest.fixture
def batch():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 7, 4, generator=g) * 2
    y = torch.randint(0, 4, (3, 7), generator=g)
    return logits, y


def _torch_ce(logits, y):
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="none")


def test_cross_entropy_matches_torch(batch):
    logits, y = batch
    assert torch.allclose(cross_entropy(logits, y).reshape(-1), _torch_ce(logits, y), atol=1e-6)


def test_soft_cross_entropy_with_one_hot_is_ce(batch):
    logits, y = batch
    target = F.one_hot(y, 4).float()
    assert torch.allclose(soft_cross_entropy(logits, target), cross_entropy(logits, y), atol=1e-6)


def test_masked_mean_and_sharpen_by_hand():
    vals = torch.tensor([[1.0, 2.0, 6.0], [1.0, 1.0, 1.0]])
    mask = torch.tensor([[True, False, True], [False, False, False]])
    assert masked_mean(vals, mask).tolist() == [3.5, 0.0]
    # 0.2^2 : 0.8^2 = 0.04 : 0.64
    assert torch.allclose(sharpen(torch.tensor([0.2, 0.8]), 0.5), torch.tensor([1 / 17, 16 / 17]))


# -- GCE -------------------------------------------------------------------------------
def test_gce_by_hand():
    logits = torch.tensor([[0.0, LN3]])  # p = (1/4, 3/4)
    y = torch.tensor([1])
    expected = (1 - 0.75**0.5) / 0.5
    assert gce_loss(logits, y, 0.5).item() == pytest.approx(expected, rel=1e-6)
    assert gce_loss(logits, y, 1.0).item() == pytest.approx(0.25, rel=1e-6)


def test_gce_q_to_zero_is_ce(batch):
    logits, y = batch
    assert torch.allclose(gce_loss(logits, y, 1e-7), cross_entropy(logits, y), atol=1e-5)


def test_gce_rejects_bad_q():
    with pytest.raises(NoisyProbeError, match="q must be in"):
        get("gce")(q=0.0)
    with pytest.raises(NoisyProbeError, match="q must be in"):
        get("gce")(q=1.5)


# -- SCE -------------------------------------------------------------------------------
def test_sce_by_hand():
    logits = torch.tensor([[0.0, LN3]])  # p = (1/4, 3/4)
    y = torch.tensor([0])
    ce = math.log(4.0)
    rce = 4.0 * 0.75  # -A * sum_{k != y} p_k with A = -4
    assert sce_loss(logits, y, 0.1, 1.0).item() == pytest.approx(0.1 * ce + rce, rel=1e-6)


def test_sce_alpha1_beta0_is_ce(batch):
    logits, y = batch
    assert torch.allclose(sce_loss(logits, y, 1.0, 0.0), cross_entropy(logits, y), atol=1e-6)


def test_sce_paper_form_clips_log_zero_at_minus_4(batch):
    logits, y = batch
    p = torch.softmax(logits, -1).clamp(1e-7, 1.0)
    onehot = F.one_hot(y, 4).float()
    rce = -(p * torch.log(onehot).clamp(min=-4.0)).sum(-1)  # the paper: A = -4
    expected = 0.1 * cross_entropy(logits, y) + rce
    assert torch.allclose(sce_loss(logits, y, 0.1, 1.0), expected, atol=1e-5)
    assert get("sce")().log_zero == -4.0  # the default is the paper's value


def test_sce_official_form_clamps_the_one_hot_at_1e4(batch):
    logits, y = batch
    p = torch.softmax(logits, -1).clamp(1e-7, 1.0)
    onehot = F.one_hot(y, 4).float().clamp(1e-4, 1.0)  # the authors' code: A = ln 1e-4
    rce = -(p * torch.log(onehot)).sum(-1)
    expected = 0.1 * cross_entropy(logits, y) + rce
    a = get("sce")(log_zero="official").log_zero
    assert a == pytest.approx(math.log(1e-4))
    assert torch.allclose(sce_loss(logits, y, 0.1, 1.0, a), expected, atol=1e-5)


def test_sce_log_zero_choices_are_validated():
    with pytest.raises(NoisyProbeError, match="'paper', 'official' or a negative number"):
        get("sce")(log_zero="nope")
    with pytest.raises(NoisyProbeError, match="log_zero"):
        get("sce")(log_zero=1.0)
    assert get("sce")(log_zero=-2.0).log_zero == -2.0


# -- label smoothing -----------------------------------------------------------------------
def test_label_smoothing_matches_torch(batch):
    logits, y = batch
    ours = label_smoothing_loss(logits, y, 0.1).reshape(-1)
    ref = F.cross_entropy(
        logits.reshape(-1, 4), y.reshape(-1), reduction="none", label_smoothing=0.1
    )
    assert torch.allclose(ours, ref, atol=1e-6)


def test_label_smoothing_zero_is_ce(batch):
    logits, y = batch
    assert torch.allclose(label_smoothing_loss(logits, y, 0.0), cross_entropy(logits, y))


# -- ELR -------------------------------------------------------------------------------
def test_elr_by_hand():
    logits = torch.zeros(1, 2)
    t = elr_update(torch.tensor([[1.0, 0.0]]), logits, 0.7)
    assert torch.allclose(t, torch.tensor([[0.85, 0.15]]))
    # CE = log 2; <t, p> = 0.5 -> reg = log(0.5)
    loss = elr_loss(logits, torch.tensor([0]), t, 3.0)
    assert loss.item() == pytest.approx(math.log(2) + 3 * math.log(0.5), rel=1e-5)


def test_elr_lambda_zero_is_ce(batch):
    logits, y = batch
    t = torch.softmax(torch.randn_like(logits), -1)
    assert torch.allclose(elr_loss(logits, y, t, 0.0), cross_entropy(logits, y))


def test_elr_matches_official_code(batch):
    logits, y = batch
    target = torch.rand(3, 7, 4)
    target = target / target.sum(-1, keepdim=True) * 0.9
    p = torch.softmax(logits, -1).clamp(1e-4, 1 - 1e-4)
    new = 0.7 * target + 0.3 * p / p.sum(-1, keepdim=True)
    ref = cross_entropy(logits, y) + 3 * torch.log(1 - (new * p).sum(-1))
    ours = elr_loss(logits, y, elr_update(target, logits, 0.7), 3.0)
    assert torch.allclose(ours, ref, atol=1e-5)


# -- forward correction --------------------------------------------------------------------
def test_forward_by_hand():
    t = torch.tensor([[[0.8, 0.2], [0.3, 0.7]]])
    logits = torch.zeros(1, 1, 2)  # p = (0.5, 0.5): (pT)_0 = 0.55, (pT)_1 = 0.45
    assert forward_loss(logits, torch.tensor([[0]]), t).item() == pytest.approx(-math.log(0.55))
    assert forward_loss(logits, torch.tensor([[1]]), t).item() == pytest.approx(-math.log(0.45))


def test_forward_identity_is_ce(batch):
    logits, y = batch
    eye = torch.eye(4).repeat(3, 1, 1)
    assert torch.allclose(forward_loss(logits, y, eye), cross_entropy(logits, y), atol=1e-5)


def test_forward_matches_direct_product(batch):
    logits, y = batch
    t = torch.softmax(torch.randn(3, 4, 4), -1)
    noisy = torch.einsum("rnk,rkj->rnj", torch.softmax(logits, -1), t)
    ref = -torch.log(noisy.gather(-1, y.unsqueeze(-1)).squeeze(-1))
    assert torch.allclose(forward_loss(logits, y, t), ref, atol=1e-5)


def _patrini_estimate(eta: np.ndarray, percentile: float | None) -> np.ndarray:
    """Patrini et al.'s anchor estimator, written as in their NumPy code."""
    c = eta.shape[1]
    t = np.empty((c, c))
    for i in range(c):
        if percentile is None:
            best = np.argmax(eta[:, i])
        else:
            thresh = np.percentile(eta[:, i], percentile, method="higher")
            robust = eta[:, i].copy()
            robust[robust >= thresh] = 0.0
            best = np.argmax(robust)
        t[i] = eta[best]
    return t


@pytest.mark.parametrize("percentile", [None, 97.0, 50.0])
def test_estimate_transition_matches_patrini(percentile):
    rng = np.random.default_rng(1)
    eta = rng.dirichlet(np.ones(4) * 0.5, size=(2, 200))
    ours = estimate_transition(torch.tensor(eta), percentile=percentile).numpy()
    for r in range(2):
        np.testing.assert_allclose(ours[r], _patrini_estimate(eta[r], percentile))


def test_forward_rejects_bad_transition():
    m = get("forward")()
    with pytest.raises(NoisyProbeError, match="row of transition must sum to 1"):
        m.check_run({"transition": [[0.5, 0.4], [0.0, 1.0]]}, num_classes=2, epochs=10)
    with pytest.raises(NoisyProbeError, match="shape"):
        m.check_run({"transition": np.eye(3)}, num_classes=2, epochs=10)
    with pytest.raises(NoisyProbeError, match="warmup_epochs"):
        get("forward")(warmup_epochs=10).check_run({}, num_classes=2, epochs=10)


# -- Co-Teaching ---------------------------------------------------------------------------
def test_coteaching_exchange_by_hand():
    ce = torch.tensor([[[1.0, 5.0, 2.0, 0.5]], [[4.0, 0.5, 3.0, 9.0]]])
    # keep 2: head 1 picks {3, 0}, head 2 picks {1, 2}. Head 1 trains on {1, 2}: (5 + 2) / 2;
    # head 2 trains on {3, 0}: (9 + 4) / 2.
    assert coteaching_loss(ce, torch.tensor([2])).item() == pytest.approx(3.5 + 6.5)


def test_coteaching_forget_zero_is_two_plain_heads():
    ce = torch.rand(2, 3, 10)
    full = coteaching_loss(ce, torch.tensor([10, 10, 10]))
    assert torch.allclose(full, ce.mean(-1).sum(0))


def test_forget_schedule_ramps_then_saturates():
    tau = torch.tensor([0.4])
    assert [round(float(forget_schedule(tau, t, 10)), 4) for t in (0, 5, 10, 20)] == [
        0.0,
        0.2,
        0.4,
        0.4,
    ]


def test_coteaching_gradient_only_from_peer_selection():
    logits = torch.randn(2, 1, 6, 3, requires_grad=True)
    y = torch.randint(0, 3, (1, 6))
    ce = cross_entropy(logits, y.unsqueeze(0))
    coteaching_loss(ce, torch.tensor([2])).backward()
    used = logits.grad.abs().sum(-1) > 0  # [2, 1, 6]
    peer_pick = ce.detach().argsort(-1)[..., :2]
    for h in range(2):
        expected = torch.zeros(6, dtype=torch.bool)
        expected[peer_pick[1 - h, 0]] = True
        assert torch.equal(used[h, 0], expected)


# -- CUFIT ---------------------------------------------------------------------------------
def test_cufit_selection_by_hand():
    y = torch.tensor([[0, 1]])
    lp = torch.tensor([[[2.0, 0.0], [2.0, 0.0]]])  # agrees on sample 0 only
    h1 = torch.tensor([[[0.0, 1.0], [0.0, 1.0]]])  # agrees on sample 1 only
    h2 = torch.tensor([[[0.0, 0.0], [0.0, 3.0]]])
    ce = lambda lg: cross_entropy(lg, y)[0]  # noqa: E731
    expected = ce(lp).mean() + ce(h1)[0] / 2 + ce(h2)[1] / 2
    assert cufit_loss(lp, h1, h2, y).item() == pytest.approx(expected.item(), rel=1e-6)
