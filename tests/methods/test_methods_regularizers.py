"""NMTune, NMTune-official, SKD and DivideMix pieces against independent references."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats
import torch

from noisyprobe.methods._spectral import offdiag_cov_sq, singular_values
from noisyprobe.methods.dividemix import clean_probability, mixmatch_targets, semi_loss
from noisyprobe.methods.nmtune import nmtune_regularizers
from noisyprobe.methods.nmtune_official import official_regularizers
from noisyprobe.methods.skd import dis_loss, shape_losses

LN2 = math.log(2.0)


@pytest.fixture
def zf():
    g = torch.Generator().manual_seed(3)
    f = torch.randn(2, 9, 5, generator=g)
    z = torch.randn(2, 9, 5, generator=g).pow(3)
    return f, z


# -- spectral helpers ----------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(2, 9, 5), (2, 4, 7)])
def test_singular_values_gram_equal_svd(shape):
    z = torch.randn(*shape, dtype=torch.float64)
    ref = np.stack([np.linalg.svd(m, compute_uv=False) for m in z.numpy()])
    np.testing.assert_allclose(singular_values(z, solver="gram").numpy(), ref, rtol=1e-7)
    np.testing.assert_allclose(singular_values(z, solver="svd").numpy(), ref, rtol=1e-7)


def test_singular_value_ratio_gradients_agree_between_solvers():
    z0 = torch.randn(2, 6, 4, dtype=torch.float64)
    grads = []
    for solver in ("gram", "svd"):
        z = z0.clone().requires_grad_()
        s = singular_values(z, solver=solver)
        (s[:, 0] / s.sum(1)).sum().backward()
        grads.append(z.grad)
    assert torch.allclose(grads[0], grads[1], atol=1e-7)


def test_offdiag_cov_matches_numpy(zf):
    _, z = zf
    for m, k in ((9, 5), (4, 7)):
        zz = torch.randn(3, m, k)
        ref = []
        for mat in zz.numpy():
            c = np.cov(mat, rowvar=False)
            ref.append((c**2).sum() - (np.diag(c) ** 2).sum())
        np.testing.assert_allclose(offdiag_cov_sq(zz).numpy(), ref, rtol=1e-4)


def test_offdiag_cov_single_row_is_zero():
    assert offdiag_cov_sq(torch.randn(2, 1, 3)).tolist() == [0.0, 0.0]


# -- NMTune ----------------------------------------------------------------------------
def test_nmtune_regularizers_match_definitions(zf):
    f, z = zf
    mse, cov, svd = nmtune_regularizers(f, z)
    for r in range(2):
        fn = f[r] / f[r].norm(dim=1, keepdim=True)
        zn = z[r] / z[r].norm(dim=1, keepdim=True)
        assert mse[r].item() == pytest.approx(((fn - zn) ** 2).sum(1).mean().item(), rel=1e-5)
        c = np.cov(z[r].numpy(), rowvar=False)
        off = (c**2).sum() - (np.diag(c) ** 2).sum()
        assert cov[r].item() == pytest.approx(off / 5, rel=1e-4)
        s = np.linalg.svd(z[r].numpy(), compute_uv=False)
        assert svd[r].item() == pytest.approx(-s[0] / s.sum(), rel=1e-5)


def test_nmtune_official_regularizers_match_official_code(zf):
    f, z = zf
    mse, cov, svd = official_regularizers(f, z, top_k=5)
    for r in range(2):
        ref_mse = torch.nn.MSELoss()(
            torch.nn.functional.normalize(z[r], dim=1), torch.nn.functional.normalize(f[r], dim=1)
        )
        assert mse[r].item() == pytest.approx(ref_mse.item(), rel=1e-5)
        _, s, _ = torch.svd(z[r])
        s = s / s.sum()
        assert svd[r].item() == pytest.approx(-s[:5].mean().item(), rel=1e-5)
        zc = z[r] - z[r].mean(0)
        cm = zc.T @ zc / (zc.shape[0] - 1)
        off = (cm**2).sum() - (torch.diagonal(cm) ** 2).sum()
        assert cov[r].item() == pytest.approx(off.item() / 5, rel=1e-4)


# -- SKD -------------------------------------------------------------------------------
def test_skd_shape_losses_match_scipy(zf):
    _, z = zf
    ls, lk = shape_losses(z.double(), 0.3, -0.5)
    for r in range(2):
        sk = scipy.stats.skew(z[r].double().numpy(), axis=0, bias=False)
        ku = scipy.stats.kurtosis(z[r].double().numpy(), axis=0, bias=False)
        assert ls[r].item() == pytest.approx(np.abs(sk - 0.3).mean(), rel=1e-6)
        assert lk[r].item() == pytest.approx(np.abs(ku + 0.5).mean(), rel=1e-6)


def test_skd_shape_losses_skip_tiny_batches():
    ls, lk = shape_losses(torch.randn(2, 3, 4), 0.0, 0.0)
    assert ls.tolist() == [0.0, 0.0] and lk.tolist() == [0.0, 0.0]


def test_skd_dis_loss_by_hand():
    logits = torch.tensor([[3.0, 1.0, -1.0]])
    # h_y - mean others = 3 - 0 = 3 for y = 0; -1 - 2 = -3 for y = 2
    expected0 = math.log1p(math.exp(3.0)) / math.log(2)
    expected2 = math.log1p(math.exp(-3.0)) / math.log(2)
    literal0 = dis_loss(logits, torch.tensor([0]), "literal").item()
    assert literal0 == pytest.approx(expected0, rel=1e-6)
    assert dis_loss(logits, torch.tensor([2]), "literal").item() == pytest.approx(
        expected2, rel=1e-6
    )
    # the discriminative form mirrors the margin: softplus(-3) for y = 0, softplus(3) for y = 2
    assert dis_loss(logits, torch.tensor([0])).item() == pytest.approx(expected2, rel=1e-6)
    assert dis_loss(logits, torch.tensor([2])).item() == pytest.approx(expected0, rel=1e-6)


@pytest.mark.parametrize(("form", "sign"), [("discriminative", 1.0), ("literal", -1.0)])
def test_skd_dis_gradient_raises_true_logit_only_when_discriminative(form, sign):
    torch.manual_seed(0)
    logits = torch.randn(16, 4, requires_grad=True)
    y = torch.randint(0, 4, (16,))
    dis_loss(logits, y, form).sum().backward()
    # a gradient step moves h_y by -lr * grad: discriminative raises it, literal lowers it
    step = -logits.grad.gather(1, y[:, None]).squeeze(1)
    assert bool((sign * step > 0).all())


# -- DivideMix -------------------------------------------------------------------------
def test_mixmatch_targets_by_hand():
    probs = torch.tensor([[0.6, 0.4], [0.2, 0.8]]).view(2, 1, 1, 2)  # head 1, head 2
    y = torch.tensor([[0]])
    w = torch.tensor([0.9, 0.1]).view(2, 1, 1)  # head 1 sees a clean sample, head 2 not
    target, labelled = mixmatch_targets(probs, y, w, 0.5, 0.5)
    refined = torch.tensor([0.9 + 0.1 * 0.6, 0.1 * 0.4]) ** 2
    assert torch.allclose(target[0, 0, 0], refined / refined.sum())
    guess = torch.tensor([0.4, 0.6]) ** 2
    assert torch.allclose(target[1, 0, 0], guess / guess.sum())
    assert labelled.view(-1).tolist() == [True, False]


def test_semi_loss_by_hand():
    logits = torch.tensor([[[0.0, LN2], [0.0, 0.0]]])  # p = (1/3, 2/3) and (1/2, 1/2)
    target = torch.tensor([[[0.0, 1.0], [1.0, 0.0]]])
    labelled = torch.tensor([[True, False]])
    lx = -math.log(2 / 3)
    lu = ((0.5 - 1.0) ** 2 + 0.5**2) / 2
    mean_p = np.array([(1 / 3 + 1 / 2) / 2, (2 / 3 + 1 / 2) / 2])
    penalty = float((0.5 * np.log(0.5 / mean_p)).sum())
    got = semi_loss(logits, target, labelled, 2.0).item()
    assert got == pytest.approx(lx + 2.0 * lu + penalty, rel=1e-5)


def test_clean_probability_matches_sklearn_divide():
    sklearn_mixture = pytest.importorskip("sklearn.mixture")
    rng = np.random.default_rng(0)
    losses = np.concatenate([rng.gamma(2.0, 0.1, 300), rng.normal(2.5, 0.4, 100).clip(0)])
    ours = clean_probability(torch.tensor(losses).view(1, -1)).numpy()[0]
    norm = (losses - losses.min()) / (losses.max() - losses.min())
    gmm = sklearn_mixture.GaussianMixture(
        n_components=2, max_iter=10, tol=1e-2, reg_covar=5e-4, random_state=0
    ).fit(norm.reshape(-1, 1))
    ref = gmm.predict_proba(norm.reshape(-1, 1))[:, gmm.means_.argmin()]
    np.testing.assert_allclose(ours, ref, atol=1e-4)


def test_nmtune_official_scale_init_follows_the_published_run_commands():
    # README of Hhhhhhao/Noisy-Model-Learning: --mlp-res-scale-init=1.0 (argparse default 0.5)
    from noisyprobe.methods import get

    spec = get("nmtune-official")().heads(4, 2)["main"][0]
    assert spec.scale_init == 1.0
    scale = spec.init_entry(torch.Generator().manual_seed(0))["scale"]
    assert scale.tolist() == [1.0] * 4
